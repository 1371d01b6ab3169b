package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/control"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
)

// TestReloadCommand runs markd run in-process and reloads it with
// `markd reload`: a good keyring is taken, a broken one is refused (exit
// 1, the lists in force stay), and with no daemon reload says so.
func TestReloadCommand(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(testdata.Path(t, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	keyring := filepath.Join(dir, "keyring.yaml")
	if err := os.WriteFile(keyring, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := dmConfig(t, dir, keyring)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan int, 1)
	var daemonErr syncbuf.Buffer
	go func() { done <- run(ctx, []string{"--config", cfg, "run", "--quiet"}, pr, io.Discard, &daemonErr) }()
	ctl := control.Path(filepath.Join(dir, "markd.db"))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ctl); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no control file %s; daemon log:\n%s", ctl, daemonErr.String())
		}
	}
	reload := func() (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "reload", "--timeout", "20s"}, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := reload(); code != 0 || !strings.Contains(out, "lists reloaded") {
		t.Fatalf("reload: exit %d: %s", code, out)
	}
	if err := os.WriteFile(keyring, []byte("keys: [this is not a keyring"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := reload(); code != 1 || !strings.Contains(out, "not reloaded") || !strings.Contains(out, "keyring "+keyring) {
		t.Fatalf("reload of a broken keyring: exit %d: %s", code, out)
	}
	if !strings.Contains(daemonErr.String(), "why=\"markd reload\"") {
		t.Errorf("daemon log lacks the reload's reason:\n%s", daemonErr.String())
	}
	cancel()
	pw.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("markd run did not stop")
	}
	if code, out := reload(); code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("reload with no daemon: exit %d: %s", code, out)
	}
}
