package control

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSendStoreOtherStore: the control file is named markd.control
// whatever the store's name, so a reload for another store of the same
// folder (a mistyped --db, two stores side by side) reached the daemon
// there and said "config and lists reloaded" of a store it does not run
// on. SendStore refuses it as not running, naming that daemon's store,
// and reloads nothing; the daemon's own store reaches it. A second daemon
// in the folder takes the file over; the first one, stopping, leaves it.
func TestSendStoreOtherStore(t *testing.T) {
	dir := t.TempDir()
	dbA, dbB := filepath.Join(dir, "markd.db"), filepath.Join(dir, "typo.db")
	var reloads atomic.Int32
	serve := func(db string) (stop func()) {
		t.Helper()
		s, err := ListenStore(db, func(cmd string) (string, error) {
			if cmd == CmdReload {
				reloads.Add(1)
			}
			return "", nil
		}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.Serve(ctx) }()
		stop = func() { cancel(); <-done }
		t.Cleanup(stop)
		return stop
	}
	stopA := serve(dbA)

	_, err := SendStore(dbB, CmdReload, 5*time.Second)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), dbA) || reloads.Load() != 0 {
		t.Fatalf("reload for %s beside the daemon of %s: %v, %d reloads; want ErrNotRunning naming %s and none", dbB, dbA, err, reloads.Load(), dbA)
	}
	if _, err := SendStore(dbA, CmdReload, 5*time.Second); err != nil || reloads.Load() != 1 {
		t.Fatalf("reload for %s: %v, %d reloads", dbA, err, reloads.Load())
	}

	serve(dbB) // a second daemon in the folder: the file is now B's
	stopA()
	if _, err := os.Stat(Path(dbA)); err != nil {
		t.Fatalf("daemon A, stopping, removed daemon B's control file: %v", err)
	}
	if _, err := SendStore(dbB, CmdReload, 5*time.Second); err != nil || reloads.Load() != 2 {
		t.Fatalf("reload for %s after A stopped: %v, %d reloads", dbB, err, reloads.Load())
	}
}
