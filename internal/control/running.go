package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"markd/mark"
)

// RunDirEnv names another folder than RunDir's default for the pointers
// (tests; a machine that keeps them elsewhere), for the daemon and for
// markd reload alike.
const RunDirEnv = "MARKD_RUN_DIR"

// RunDir is the per-machine folder where each running daemon leaves a
// pointer to its store, config and control file, so that markd reload
// run with another store's config can name the daemon that does run:
// /run/markd on Linux (the unit's RuntimeDirectory: made at start,
// removed at stop, readable by all, each pointer by the daemon's account
// and root only), %ProgramData%\markd on Windows (SYSTEM and
// Administrators only). A daemon leaves no pointer where the folder does
// not exist (a markd run by hand on Linux).
func RunDir() string {
	if d := os.Getenv(RunDirEnv); d != "" {
		return d
	}
	return defaultRunDir()
}

// Pointer is what a running daemon leaves in RunDir.
type Pointer struct {
	DB      string `json:"db"`               // its store, absolute
	Config  string `json:"config,omitempty"` // its config file, absolute; "" = none (flags, environment)
	Control string `json:"control"`          // its control file
	PID     int    `json:"pid"`
}

// pointerGlob matches the pointers in RunDir: markd-HASH.daemon, HASH of
// the store's path, so a daemon restarted on its store replaces its own.
const pointerGlob = "markd-*.daemon"

func pointerName(db string) string {
	sum := sha256.Sum256([]byte(db))
	return "markd-" + hex.EncodeToString(sum[:6]) + ".daemon"
}

// Announce leaves the pointer p (DB and Config made absolute) in dir,
// readable by this account only, for Serve to remove when it returns. A
// dir that does not exist is no error: nothing is left.
func (s *Server) Announce(dir string, p Pointer) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil
	}
	p.DB, p.Config, p.Control, p.PID = absPath(p.DB), absPath(p.Config), s.path, os.Getpid()
	data, _ := json.Marshal(p)
	path := filepath.Join(dir, pointerName(p.DB))
	if err := writePrivate(path, data); err != nil {
		return fmt.Errorf("pointer %s: %w", path, err)
	}
	s.pointer = path
	return nil
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Others lists the daemons that answer on this machine (by their
// pointers in dir) for another store than db, and the pointers this
// account cannot read (another account's daemon). A pointer whose daemon
// does not answer a ping within timeout (killed: nothing removed it) is
// left out.
func Others(dir, db string, timeout time.Duration) (found []Pointer, unreadable []string) {
	db = absPath(db)
	return answering(dir, func(p Pointer) bool { return !samePath(p.DB, db) }, timeout)
}

// OfConfig is the daemon that answers on this machine (by its pointer in
// dir) and was started with the config file config: the one to reload
// with that config when its db has been edited since (the daemon runs on
// the store it started with until it restarts). ok is false for none.
func OfConfig(dir, config string, timeout time.Duration) (p Pointer, ok bool) {
	if config == "" {
		return Pointer{}, false
	}
	config = absPath(config)
	found, _ := answering(dir, func(p Pointer) bool { return p.Config != "" && samePath(p.Config, config) }, timeout)
	if len(found) != 1 {
		return Pointer{}, false
	}
	return found[0], true
}

// answering lists the pointers in dir that match and whose daemon
// answers a ping within timeout, and the pointers this account cannot
// read.
func answering(dir string, match func(Pointer) bool, timeout time.Duration) (found []Pointer, unreadable []string) {
	names, _ := filepath.Glob(filepath.Join(dir, pointerGlob))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrPermission) {
			unreadable = append(unreadable, name)
			continue
		}
		var p Pointer
		if err != nil || json.Unmarshal(data, &p) != nil || p.DB == "" || p.Control == "" || !match(p) {
			continue
		}
		if _, err := Send(p.Control, CmdPing, timeout); err != nil {
			continue
		}
		found = append(found, p)
	}
	return found, unreadable
}

// NotHere explains err, an ErrNotRunning of the store db's control file:
// which store markd looked for and, when a daemon runs on this machine
// for another store (Others in RunDir), which one and the command that
// reloads it. It never reloads that daemon.
func NotHere(err error, db string, timeout time.Duration) error {
	dir := RunDir()
	err = fmt.Errorf("no markd daemon answers for the store %s: %w", absPath(db), err)
	found, unreadable := Others(dir, db, timeout)
	var whats, cmds []string
	for _, p := range found {
		cmd := "markd reload --db " + quote(p.DB)
		what := "the store " + p.DB
		if p.Config != "" {
			cmd = "markd reload --config " + quote(p.Config)
			what += " (config " + p.Config + ")"
		}
		whats, cmds = append(whats, what), append(cmds, cmd)
	}
	switch {
	case len(found) == 1:
		return mark.WithHint(err, "a markd daemon runs on this machine for "+whats[0]+
			"; to reload it: "+cmds[0]+" (or start a daemon on this store)")
	case len(found) > 1:
		var each []string
		for i := range found {
			each = append(each, whats[i]+": "+cmds[i])
		}
		return mark.WithHint(err, "markd daemons run on this machine for other stores: "+strings.Join(each, "; ")+
			" (reload one with its command)")
	case len(unreadable) > 0:
		return mark.WithHint(err, fmt.Sprintf("a markd daemon runs on this machine (%s) that only its account and %s can see: "+
			"run markd reload as %s with that daemon's --config", strings.Join(unreadable, ", "), admin, admin))
	}
	return err // Send's hint: start markd, or give the running daemon's config
}

// quote puts a path with a blank or a quote in double quotes, for a
// command line to copy.
func quote(p string) string {
	if strings.ContainsAny(p, " \t'\"") {
		return `"` + p + `"`
	}
	return p
}
