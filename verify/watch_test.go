package verify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWatcherUnwatchableFolderAdvice: a list file that cannot be looked
// at (its folder missing) is logged with the reload that works on every
// system, markd reload (SIGHUP alone does not exist on Windows), naming
// the folder.
func TestWatcherUnwatchableFolderAdvice(t *testing.T) {
	var buf bytes.Buffer
	gone := filepath.Join(t.TempDir(), "gone")
	w := &Watcher{Files: func() []string { return []string{filepath.Join(gone, "keyring.yaml")} }, Reload: func(string) {},
		Log: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Serve sets up the watch, then returns at once
	if err := w.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "cannot watch") || !strings.Contains(s, gone) || !strings.Contains(s, "markd reload") {
		t.Errorf("log of an unwatchable folder, want it named with the advice markd reload:\n%s", s)
	}
}

// startWatcher runs w until the test ends and returns a channel of the
// reasons of its reloads.
func startWatcher(t *testing.T, w *Watcher) (<-chan string, chan<- os.Signal) {
	t.Helper()
	why := make(chan string, 16)
	hup := make(chan os.Signal)
	w.Reload = func(s string) { why <- s }
	w.Signals = hup
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return why, hup
}

func nextReload(t *testing.T, why <-chan string) string {
	t.Helper()
	select {
	case s := <-why:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no reload")
		return ""
	}
}

// TestWatcherQuietBesideBusyFile: the store's WAL written beside the
// config (markd.yaml and markd.db in one folder, as on Windows) does not
// wake the watcher: it woke two or three threads for every scan while it
// watched the folder with the system's change notification.
func TestWatcherQuietBesideBusyFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 426000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &Watcher{Files: func() []string { return []string{cfg} }, Poll: time.Hour}
	why, hup := startWatcher(t, w)
	hup <- syscall.SIGHUP // the loop runs
	if s := nextReload(t, why); s != "SIGHUP" {
		t.Fatalf("reload %q, want SIGHUP", s)
	}
	wal, err := os.Create(filepath.Join(dir, "markd.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	defer wal.Close()
	page := make([]byte, 4096)
	for i := range 300 {
		page[0] = byte(i)
		if _, err := wal.WriteAt(page, int64(i%8)*4096); err != nil {
			t.Fatal(err)
		}
		if err := wal.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	hup <- syscall.SIGHUP
	if s := nextReload(t, why); s != "SIGHUP" {
		t.Fatalf("reload %q, want SIGHUP", s)
	}
	if n := w.wakes.Load(); n != 2 {
		t.Errorf("the watcher woke %d times for 2 signals and 300 writes to another file in its folder, want 2", n)
	}
}

// TestWatcherSeesSaves: a save in place that keeps the size (within the
// file system's time tick), a replacement by rename, a file that appears
// after the start, each reloads once, naming the file.
func TestWatcherSeesSaves(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	later := filepath.Join(dir, "revoked.txt")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(cfg, "keyring: a.yaml\n")
	w := &Watcher{Files: func() []string { return []string{cfg, later} }, Poll: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	why, hup := startWatcher(t, w)
	hup <- syscall.SIGHUP // the first look is taken
	if s := nextReload(t, why); s != "SIGHUP" {
		t.Fatalf("reload %q, want SIGHUP", s)
	}
	want := "file changed: " + cfg

	write(cfg, "keyring: b.yaml\n") // same size
	if s := nextReload(t, why); s != want {
		t.Errorf("after a save in place: %q, want %q", s, want)
	}
	tmp := cfg + ".tmp"
	write(tmp, "keyring: c.yaml\n")
	if err := os.Rename(tmp, cfg); err != nil {
		t.Fatal(err)
	}
	if s := nextReload(t, why); s != want {
		t.Errorf("after a rename over it: %q, want %q", s, want)
	}
	write(cfg, "keyring: d.yaml\n") // still watched after the rename
	if s := nextReload(t, why); s != want {
		t.Errorf("after a save following the rename: %q, want %q", s, want)
	}
	write(later, "S1\n")
	if s := nextReload(t, why); s != "file changed: "+later {
		t.Errorf("a file that appeared: %q", s)
	}
	select {
	case s := <-why:
		t.Errorf("one more reload %q after four changes", s)
	default:
	}
}

// TestWatcherArmedSeesEarlySave: a file saved after the caller loaded it
// (Arm) but before Serve's goroutine first looked (a busy machine) is
// reloaded; without Arm the first look took the new file as the old one
// and the save was never applied (TestReloadConfig timed out in make test).
func TestWatcherArmedSeesEarlySave(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("keyring: a.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &Watcher{Files: func() []string { return []string{cfg} }, Poll: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w.Arm()
	if err := os.WriteFile(cfg, []byte("keyring: b.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	why, _ := startWatcher(t, w)
	if s, want := nextReload(t, why), "file changed: "+cfg; s != want {
		t.Fatalf("reload %q, want %q", s, want)
	}
}
