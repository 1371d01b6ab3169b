package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestControl(t *testing.T) {
	dir := t.TempDir()
	path := Path(filepath.Join(dir, "markd.db"))
	var reloads atomic.Int32
	fail, note := atomic.Bool{}, atomic.Bool{}
	s, err := Listen(path, func(cmd string) (string, error) {
		if cmd == CmdReload {
			reloads.Add(1)
			if fail.Load() {
				return "", errors.New("keyring.yaml: bad key")
			}
			if note.Load() {
				return "config and lists reloaded\nnot in force  until markd\trestarts: db\n", nil
			}
		}
		return "", nil
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("control file mode %v (%v), want 0600", fi.Mode(), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	if _, err := Send(path, CmdPing, 5*time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if n, err := Send(path, CmdReload, 5*time.Second); err != nil || n != "" || reloads.Load() != 1 {
		t.Fatalf("reload: %v, note %q, %d reloads", err, n, reloads.Load())
	}
	note.Store(true) // done, with a note for the caller: its lines, each on one line
	if n, err := Send(path, CmdReload, 5*time.Second); err != nil || n != "config and lists reloaded\nnot in force until markd restarts: db" {
		t.Fatalf("reload with a note: %v, note %q", err, n)
	}
	fail.Store(true)
	if _, err := Send(path, CmdReload, 5*time.Second); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "bad key") {
		t.Fatalf("refused reload: %v", err)
	}
	if _, err := Send(path, "shutdown", 5*time.Second); !errors.Is(err, ErrRefused) {
		t.Fatalf("unknown command: %v", err)
	}
	// A wrong token is refused and runs nothing.
	c, err := net.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "%s reload\n", strings.Repeat("0", 64))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	if got := string(buf[:n]); !strings.HasPrefix(got, "error: wrong token") || reloads.Load() != 3 {
		t.Fatalf("wrong token: %q, %d reloads", got, reloads.Load())
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("control file left after Serve: %v", err)
	}
	if _, err := Send(path, CmdReload, time.Second); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("reload with no daemon: %v", err)
	}
}

func TestSendBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	for _, content := range []string{"", "{}", "not json", `{"addr":"127.0.0.1:1"}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Send(path, CmdReload, time.Second); err == nil {
			t.Errorf("control file %q: no error", content)
		}
	}
	// A file left by a daemon that died: nobody listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	os.WriteFile(path, []byte(`{"addr":"`+addr+`","token":"ab"}`), 0o600)
	if _, err := Send(path, CmdReload, time.Second); !errors.Is(err, ErrNotRunning) {
		t.Errorf("stale control file: %v, want ErrNotRunning", err)
	}
}
