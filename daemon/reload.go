package daemon

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"markd/config"
	"markd/mark"
	"markd/verify"
)

// listKeys are the config keys a reload applies: the files of the lists.
var listKeys = []string{"keyring", "tariffs", "revoked"}

// Reloaded is what a reload did.
type Reloaded struct {
	Lists bool // the lists were loaded from the files and are in force
	// Bundle is set when the lists in force are a signed bundle's: the
	// list files were not read (only a newer bundle replaces them).
	Bundle *BundleInForce
	// Restart names the changed config keys a running daemon cannot
	// apply (db, http.listen, sources, …): the values it started with
	// stay in force until markd restarts.
	Restart []string
}

// BundleInForce names the signed bundle whose lists are in force.
type BundleInForce struct {
	Version uint64    // 0: swapped in by the poller, its version not yet recorded
	Created time.Time // when the collector made it; zero when not known
}

// String is "signed bundle 7 (created 2026-11-30 12:00 UTC)".
func (b BundleInForce) String() string {
	if b.Version == 0 {
		return "a signed bundle"
	}
	s := fmt.Sprintf("signed bundle %d", b.Version)
	if !b.Created.IsZero() {
		s += " (created " + b.Created.UTC().Format("2006-01-02 15:04 MST") + ")"
	}
	return s
}

// Report is what the reload did, a line each, for markd reload: the
// lists reloaded or why they were not, then the keys waiting for a
// restart.
func (r Reloaded) Report() []string {
	lines := []string{"config and lists reloaded"}
	if r.Bundle != nil {
		lines[0] = "config reloaded; the lists in force come from " + r.Bundle.String() +
			": the list files were not applied because a bundle is in force (they apply again only without sync.distribution_key)"
	}
	if n := r.Note(); n != "" {
		lines = append(lines, n)
	}
	return lines
}

// Note is the sentence for the caller and the log: which changes wait
// for a restart ("" for none).
func (r Reloaded) Note() string {
	if len(r.Restart) == 0 {
		return ""
	}
	return "changed in the config but not in force until markd restarts: " + strings.Join(r.Restart, ", ") +
		" (systemctl restart markd; on Windows: markd service stop, markd service start)"
}

// ErrConfigRefused says the configuration read again was not taken:
// the config in force stays.
var ErrConfigRefused = errors.New("the config was not reloaded, the config in force stays")

// reload is Reload for the watcher (SIGHUP, a file changed): its outcome
// is logged.
func (m *Main) reload(why string) { _, _ = m.Reload(why) }

// Reload reads the configuration again (Options.LoadConfig: the same
// file, environment variables and flags as at the start, so they keep
// overriding the file) and then loads keyring, tariffs and revocations
// anew from the files it names, swapping them in all together. One reload
// runs at a time; another one waits for it and then reads the files
// again.
//
// A configuration that does not load is refused (ErrConfigRefused, with
// the loader's error naming file:line, variable or flag): the config in
// force stays, and the lists are reloaded from the files in force. Of a
// configuration that loads, the list files are applied; every other
// changed key is named in Reloaded.Restart and logged: it takes effect at
// the next start. A list file that does not load is refused with an error
// naming it, and the lists and their files in force stay. While a signed
// bundle from the collector is in force the files are not read: the
// bundle's lists are newer and verified, and only a newer bundle replaces
// them; the reload is not refused for that (nothing failed), it says so
// in Reloaded.Bundle and logs it at INFO.
func (m *Main) Reload(why string) (Reloaded, error) {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	log := m.Log
	var done Reloaded
	files := m.lists
	var cfgErr error
	if m.loadConfig != nil {
		c, err := m.loadConfig()
		if err != nil {
			cfgErr = fmt.Errorf("%w: %w", ErrConfigRefused, err)
			m.Metrics.Reloaded(false)
			args := []any{"why", why, "err", err}
			if h := mark.Hint(err); h != "" {
				args = append(args, "hint", h)
			}
			log.Error("reload: config refused, the config in force stays; the lists are reloaded from the files in force", args...)
		} else {
			files = listFiles{c.Keyring, c.Tariffs, c.Revoked}
			done.Restart = slices.DeleteFunc(config.Changed(m.Config, c), func(k string) bool {
				return slices.Contains(listKeys, k)
			})
			if len(done.Restart) > 0 {
				log.Warn("reload: "+done.Note(), "why", why, "keys", done.Restart)
			}
		}
	}
	if b := m.bundleInForce(); b != nil {
		m.setLists(files)
		done.Bundle = b
		m.logBundle(why, b)
		return done, cfgErr
	}
	modified := files.modified()
	v, err := verify.LoadFiles(files.keyring, files.tariffs, files.revoked)
	if err != nil {
		m.Metrics.Reloaded(false)
		log.Error("reload refused: the lists in force stay", "why", why, "err", err,
			"keyring", files.keyring, "tariffs", files.tariffs, "revoked", files.revoked, "in_force", m.Holder.Versions())
		return done, errors.Join(cfgErr, fmt.Errorf("the lists were not reloaded, the lists in force stay: %w", err))
	}
	// Only over the lists put in by the files: a bundle the poller swapped
	// in meanwhile (its version recorded only after the swap) stays.
	if !m.Holder.CompareAndSwap(m.inForce, v) {
		m.setLists(files)
		done.Bundle = m.bundleInForce()
		if done.Bundle == nil { // swapped back meanwhile: cannot be, one reload at a time
			done.Bundle = &BundleInForce{}
		}
		m.logBundle(why, done.Bundle)
		return done, cfgErr
	}
	m.inForce = v
	m.setListsModified(modified)
	m.setLists(files)
	done.Lists = true
	if cfgErr == nil {
		m.Metrics.Reloaded(true)
	}
	log.Info("lists reloaded", "why", why, "versions", v.Versions(),
		"keyring", files.keyring, "tariffs", files.tariffs, "revoked", files.revoked)
	verify.LogDistrusted(log, v.Keyring(), "why", why, "keyring_file", files.keyring)
	return done, cfgErr
}

// bundleInForce is the signed bundle whose lists are in force: the
// bundle poller recorded its version, or swapped its lists in over the
// files' (the version comes right after). nil: the files' lists are in
// force.
func (m *Main) bundleInForce() *BundleInForce {
	v, created := m.bundle()
	if v == 0 && m.Holder.Current() == m.inForce {
		return nil
	}
	return &BundleInForce{Version: v, Created: created}
}

// logBundle logs a reload that left the lists of bundle b in force: at
// INFO, as it is what the counter is meant to do.
func (m *Main) logBundle(why string, b *BundleInForce) {
	name := "a signed bundle"
	if b.Version > 0 {
		name = fmt.Sprintf("signed bundle %d", b.Version)
	}
	args := []any{"why", why, "bundle", b.Version}
	if !b.Created.IsZero() {
		args = append(args, "created", b.Created.UTC())
	}
	m.Log.Info("reload: the lists of "+name+" are in force; the list files were not applied",
		append(args, "in_force", m.Holder.Versions(), "hint", "the config files' lists apply again only without sync.distribution_key")...)
}

// ReloadLists is Reload for a caller that only needs its error.
func (m *Main) ReloadLists(why string) error {
	_, err := m.Reload(why)
	return err
}

// listFiles are the files of the lists in force.
type listFiles struct{ keyring, tariffs, revoked string }

// modified is the newest modification time of the files (zero when one
// cannot be read): the age of lists kept as files, whose formats carry no
// date of issue. Taken before the files are read, so a file written
// meanwhile makes the lists look older, never younger.
func (f listFiles) modified() time.Time {
	var newest time.Time
	for _, path := range []string{f.keyring, f.tariffs, f.revoked} {
		if path == "" {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			return time.Time{}
		}
		if mod := fi.ModTime(); mod.After(newest) {
			newest = mod
		}
	}
	return newest
}

// listsModified is listFiles.modified of the files whose lists Open or
// the last reload put in force.
func (m *Main) listsModified() time.Time {
	ns := m.listsMod.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (m *Main) setListsModified(t time.Time) {
	if t.IsZero() {
		m.listsMod.Store(0)
		return
	}
	m.listsMod.Store(t.UnixNano())
}

// setLists makes files those in force and has the watcher watch them;
// the caller holds reloadMu.
func (m *Main) setLists(files listFiles) {
	if files == m.lists {
		return
	}
	m.lists = files
	select {
	case m.moved <- struct{}{}:
	default: // the watcher has yet to read the last move
	}
}

// watched are the files whose change reloads: the config file and the
// lists in force.
func (m *Main) watched() []string {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	return []string{m.configFile, m.lists.keyring, m.lists.tariffs, m.lists.revoked}
}
