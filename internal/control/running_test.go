package control

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/mark"
)

// TestNotHere: with two daemons of other stores announced in the run
// folder (one with a config file, one started with --db only) and one
// of the store asked for, NotHere names the store it looked for and
// both others with their commands, never the asked store's own pointer;
// no ping reaches them as a reload. With none, Send's hint stays.
func TestNotHere(t *testing.T) {
	runDir := t.TempDir()
	t.Setenv(RunDirEnv, runDir)
	var reloads atomic.Int32
	serve := func(db, config string) context.CancelFunc {
		t.Helper()
		s, err := Listen(Path(db), func(cmd string) (string, error) {
			if cmd == CmdReload {
				reloads.Add(1)
			}
			return "", nil
		}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Announce(runDir, Pointer{DB: db, Config: config}); err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" {
			if fi, err := os.Stat(filepath.Join(runDir, pointerName(db))); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("pointer mode %v (%v), want 0600", fi, err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.Serve(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return func() { cancel(); <-done }
	}
	dbA := filepath.Join(t.TempDir(), "a.db")
	cfgA := filepath.Join(filepath.Dir(dbA), "markd a.yaml")
	dbB := filepath.Join(t.TempDir(), "b.db")
	dbC := filepath.Join(t.TempDir(), "c.db")
	serve(dbA, cfgA)
	stopB := serve(dbB, "")

	_, err := Send(Path(dbC), CmdReload, 5*time.Second)
	err = NotHere(err, dbC, 5*time.Second)
	hint := mark.Hint(err)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "for the store "+dbC) {
		t.Errorf("error %v: want ErrNotRunning naming %s", err, dbC)
	}
	for _, want := range []string{`markd reload --config "` + cfgA + `"`, "markd reload --db " + dbB, dbA} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q lacks %q", hint, want)
		}
	}

	// The asked store's own pointer is not another daemon's.
	if found, _ := Others(runDir, dbA, 5*time.Second); len(found) != 1 || found[0].DB != dbB {
		t.Errorf("others than %s: %+v, want %s only", dbA, found, dbB)
	}
	stopB()
	if _, err := os.Stat(filepath.Join(runDir, pointerName(dbB))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pointer of a stopped daemon: %v, want removed", err)
	}
	if found, _ := Others(runDir, dbC, 5*time.Second); len(found) != 1 || found[0].DB != dbA {
		t.Errorf("after B stopped: %+v, want %s only", found, dbA)
	}
	if n := reloads.Load(); n != 0 {
		t.Errorf("%d reloads: NotHere reloaded a daemon of another store", n)
	}

	// No run folder: nothing announced, nothing found, Send's hint.
	t.Setenv(RunDirEnv, filepath.Join(runDir, "none"))
	_, err = Send(Path(dbC), CmdReload, 5*time.Second)
	if h := mark.Hint(NotHere(err, dbC, 5*time.Second)); !strings.Contains(h, "start markd") {
		t.Errorf("no run folder: hint %q, want Send's", h)
	}
}
