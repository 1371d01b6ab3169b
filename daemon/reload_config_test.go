package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"markd/config"
	"markd/internal/testdata"
	"markd/mark"
)

// reloadFixture is a daemon started from a config file, with an
// environment variable and a flag that override keys of the file, and
// two keyrings: with key 1 and without.
type reloadFixture struct {
	t                *testing.T
	dir, file        string
	withKey1, noKey1 string // keyring files
	db               string
	r                *running
	in               *feed
	log              *logTail
	hup              chan os.Signal
}

// configText is the config file: keyring and extra lines vary.
func (f *reloadFixture) configText(keyring, extra string) string {
	td := testdata.Dir(f.t)
	// counter Z and rescan_window 1m are overridden by --counter A and
	// MARKD_RESCAN_WINDOW=10m.
	return fmt.Sprintf("office: 426000\ncounter: Z\ntz: Europe/Samara\nkeyring: %q\ntariffs: %q\ndb: %q\n"+
		"rescan_window: 1m\nhttp:\n  listen: 127.0.0.1:0\n%s", keyring, filepath.Join(td, "tariffs.yaml"), f.db, extra)
}

// save replaces the config the safe way: a temporary file renamed over it.
func (f *reloadFixture) save(text string) {
	f.t.Helper()
	tmp := f.file + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, f.file); err != nil {
		f.t.Fatal(err)
	}
}

// scan1 judges a fresh mark of key 1.
func (f *reloadFixture) scan1(serial uint64) mark.Record {
	f.in.line(signed(f.t, serial))
	return f.r.next(f.t)
}

// keyring is the keyring file in force.
func (f *reloadFixture) keyring() string {
	f.r.reloadMu.Lock()
	defer f.r.reloadMu.Unlock()
	return f.r.lists.keyring
}

func newReloadFixture(t *testing.T) *reloadFixture {
	dir := t.TempDir()
	orig, without := testdata.Keyrings(t)
	f := &reloadFixture{t: t, dir: dir, file: filepath.Join(dir, "markd.yaml"),
		withKey1: filepath.Join(dir, "keyring.yaml"), noKey1: filepath.Join(dir, "keyring-no1.yaml"),
		db: testConfig(t).DB, in: newFeed(), log: &logTail{t: t}, hup: make(chan os.Signal, 1)}
	for file, data := range map[string]string{f.withKey1: string(orig), f.noKey1: string(without)} {
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.save(f.configText(f.withKey1, ""))
	t.Setenv("MARKD_RESCAN_WINDOW", "10m")
	flags := pflag.NewFlagSet("run", pflag.ContinueOnError)
	flags.String("counter", "", "")
	if err := flags.Parse([]string{"--counter", "A"}); err != nil {
		t.Fatal(err)
	}
	load := func() (config.Config, error) { return config.Load(f.file, flags) }
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Counter != "A" || c.RescanWindow.Minutes() != 10 {
		t.Fatalf("flag and environment not applied: counter %q, rescan_window %v", c.Counter, c.RescanWindow)
	}
	f.r = start(t, Options{Config: c, LoadConfig: load, ConfigFile: f.file, Reload: f.hup, Stdin: f.in, Stderr: f.log})
	return f
}

var (
	configRefused = regexp.MustCompile(`config refused`)
	needsRestart  = regexp.MustCompile(`not in force until markd restarts`)
)

// TestReloadConfig: a reload reads the config file again with the same
// environment and flags; the list files it names are applied, other
// changed keys are reported as waiting for a restart, a config that does
// not load is refused naming file:line (to the caller and in the log)
// and what is in force stays; a config saved by rename (an editor's
// atomic save, vim's backup rename) is seen and stays watched.
func TestReloadConfig(t *testing.T) {
	f := newReloadFixture(t)
	r, log := f.r, f.log
	if rec := f.scan1(5_000_000); rec.Verdict != mark.Accept || rec.Counter != "A" {
		t.Fatalf("first mark: %s %v at counter %q", rec.Verdict, rec.Reasons, rec.Counter)
	}

	// Nothing changed: the flag and the environment variable still win
	// over the file, so nothing waits for a restart.
	if done, err := r.Reload("test"); err != nil || !done.Lists || len(done.Restart) != 0 {
		t.Fatalf("reload of the same config: %+v, %v", done, err)
	}

	// The keyring moved to another file and http.listen changed, saved by
	// rename: the watcher reloads, the new keyring judges the next scan,
	// http.listen is named as waiting for a restart.
	n, nr := log.count(reloaded), log.count(needsRestart)
	f.save(f.configText(f.noKey1, "  hosts: [counter-a]\nlog:\n  level: debug\n"))
	log.waitMore(t, reloaded, n)
	if log.count(needsRestart) <= nr {
		t.Errorf("changed http.hosts and log.level not reported as waiting for a restart")
	}
	if rec := f.scan1(5_000_001); rec.Verdict != mark.Reject || !slices.Equal(rec.Reasons, []mark.Reason{mark.ReasonUnknownKey}) {
		t.Errorf("after the config named a keyring without key 1: %s %v, want REJECT [UNKNOWN_KEY]", rec.Verdict, rec.Reasons)
	}
	done, err := r.Reload("test")
	if err != nil || !slices.Equal(done.Restart, []string{"log.level", "http.hosts"}) ||
		!strings.Contains(done.Note(), "log.level, http.hosts") {
		t.Errorf("reload: %+v (%q), %v; want log.level and http.hosts waiting for a restart", done, done.Note(), err)
	}

	// The new keyring file is watched: replacing it reloads.
	n = log.count(reloaded)
	orig, _ := os.ReadFile(f.withKey1)
	tmp := f.noKey1 + ".tmp"
	if err := os.WriteFile(tmp, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.noKey1); err != nil {
		t.Fatal(err)
	}
	log.waitMore(t, reloaded, n)
	if rec := f.scan1(5_000_002); rec.Verdict != mark.Accept {
		t.Errorf("after the keyring file named by the config got key 1 back: %s %v", rec.Verdict, rec.Reasons)
	}

	// A config with a bad value: refused naming file:line, by the
	// watcher (log) and by a reload (its error); the keyring in force
	// stays although the broken config names another one.
	n = log.count(configRefused)
	f.save(strings.Replace(f.configText(f.withKey1, ""), "office: 426000", "office: 42600", 1))
	log.waitMore(t, configRefused, n)
	if !strings.Contains(log.String(), f.file+":1") {
		t.Errorf("the log does not name %s:1, the bad office", f.file)
	}
	_, err = r.Reload("test")
	if !errors.Is(err, ErrConfigRefused) || !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), f.file+":1") {
		t.Errorf("reload of a bad config: %v; want ErrConfigRefused naming %s:1", err, f.file)
	}
	if k := f.keyring(); k != f.noKey1 {
		t.Errorf("a refused config changed the keyring in force to %s", k)
	}
	// Not YAML at all: the same, with the line.
	f.save("office: 426000\nhttp: [\n")
	_, err = r.Reload("test")
	if !errors.Is(err, ErrConfigRefused) || !strings.Contains(err.Error(), f.file) || !strings.Contains(err.Error(), "line") {
		t.Errorf("reload of a config that is not YAML: %v", err)
	}
	// SIGHUP with a bad config: logged as refused.
	n = log.count(configRefused)
	f.hup <- syscall.SIGHUP
	log.waitMore(t, configRefused, n)
	saved := regexp.MustCompile(`msg="lists reloaded" why="file changed: ` + regexp.QuoteMeta(f.file) + `"`)

	// Saved as vim does by default: the old file renamed away, a new one
	// written in its place. Seen, and still watched afterwards.
	n = log.count(saved)
	if err := os.Rename(f.file, f.file+"~"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.file, []byte(f.configText(f.withKey1, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	log.waitMore(t, saved, n)
	if rec := f.scan1(5_000_003); rec.Verdict != mark.Accept || f.keyring() != f.withKey1 {
		t.Errorf("after a vim save naming the keyring with key 1: %s %v, keyring %s", rec.Verdict, rec.Reasons, f.keyring())
	}
	n = log.count(saved)
	if err := os.WriteFile(f.file, []byte(f.configText(f.noKey1, "")), 0o600); err != nil { // in place
		t.Fatal(err)
	}
	log.waitMore(t, saved, n)
	if k := f.keyring(); k != f.noKey1 {
		t.Errorf("after a save in place: keyring %s, want %s", k, f.noKey1)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestReloadsAtOnce: reloads asked at the same moment (markd reload,
// SIGHUP, the watcher) run one after the other, each reads the files
// whole, and the last one leaves the lists of the files as they are last.
func TestReloadsAtOnce(t *testing.T) {
	f := newReloadFixture(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			keyring := f.withKey1
			if i%2 == 1 {
				keyring = f.noKey1
			}
			text := f.configText(keyring, "")
			tmp := fmt.Sprintf("%s.%d", f.file, i)
			if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(tmp, f.file); err != nil {
				t.Error(err)
				return
			}
			if _, err := f.r.Reload(fmt.Sprint("test ", i)); err != nil {
				t.Errorf("reload %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	f.save(f.configText(f.noKey1, ""))
	var wg2 sync.WaitGroup
	for range 2 {
		wg2.Go(func() {
			if _, err := f.r.Reload("at once"); err != nil {
				t.Errorf("reload: %v", err)
			}
		})
	}
	wg2.Wait()
	if k := f.keyring(); k != f.noKey1 {
		t.Errorf("after the last reloads the keyring in force is %s, want %s", k, f.noKey1)
	}
	if rec := f.scan1(6_000_000); rec.Verdict != mark.Reject {
		t.Errorf("after the last reloads: %s %v, want REJECT [UNKNOWN_KEY]", rec.Verdict, rec.Reasons)
	}
}
