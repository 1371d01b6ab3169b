package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/config"
	"markd/internal/control"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
)

// TestReloadConfigCommand: markd reload makes the daemon read its config
// again. With the file unchanged nothing waits for a restart (the
// environment variable and the flag the daemon started with still win
// over the file); a keyring moved to another file is loaded from it; a
// changed key a running daemon cannot apply is named to the caller as
// waiting for a restart; a config with a bad value, seen by the daemon's
// watch, is refused in its log naming file:line.
func TestReloadConfigCommand(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(testdata.Path(t, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	keyring, other := filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "keyring-2.yaml")
	for _, f := range []string{keyring, other} {
		if err := os.WriteFile(f, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "markd.db")
	initStore(t, db)
	cfg := filepath.Join(dir, "markd.yaml")
	text := func(office, keyring, listen string) string {
		return fmt.Sprintf("office: %s\ncounter: Z\ntz: Europe/Samara\nkeyring: %q\ntariffs: %q\ndb: %q\n"+
			"rescan_window: 1m\nhttp:\n  listen: %s\n", office, keyring, testdata.Path(t, "tariffs.yaml"), db, listen)
	}
	save := func(s string) { // an editor's atomic save
		if err := os.WriteFile(cfg+".tmp", []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(cfg+".tmp", cfg); err != nil {
			t.Fatal(err)
		}
	}
	save(text("426000", keyring, "127.0.0.1:0"))
	t.Setenv("MARKD_RESCAN_WINDOW", "10m")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan int, 1)
	var daemonErr syncbuf.Buffer
	go func() {
		done <- run(ctx, []string{"--config", cfg, "run", "--quiet", "--counter", "A"}, pr, io.Discard, &daemonErr)
	}()
	ctl := control.Path(db)
	testdata.Wait(t, 30*time.Second, "control file "+ctl, func() bool { _, err := os.Stat(ctl); return err == nil })
	reload := func() (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "reload", "--timeout", "20s"}, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := reload(); code != 0 || strings.Contains(out, "restart") {
		t.Fatalf("reload of the same config: exit %d: %s", code, out)
	}

	save(text("426000", other, "127.0.0.1:18080"))
	code, out := reload()
	if code != 0 || !strings.Contains(out, "lists reloaded") || !strings.Contains(out, "not in force until markd restarts: http.listen") {
		t.Errorf("reload of a changed http.listen: exit %d: %s", code, out)
	}
	if !strings.Contains(daemonErr.String(), "keyring="+other) {
		t.Errorf("the keyring the config names now was not loaded (%s):\n%s", other, daemonErr.String())
	}

	save(text("42600", other, "127.0.0.1:0"))
	testdata.Wait(t, 30*time.Second, "the daemon refusing the bad config", func() bool {
		return strings.Contains(daemonErr.String(), "config refused")
	})
	if !strings.Contains(daemonErr.String(), cfg+":1: office = 42600") {
		t.Errorf("the daemon's log does not name %s:1:\n%s", cfg, daemonErr.String())
	}
	// markd reload reads the config too and warns; the daemon, asked all
	// the same (its environment may hold what this shell's lacks), refuses
	// it: exit 1 with its error.
	if code, out := reload(); code != 1 || !strings.Contains(out, "warning: "+cfg+":1: office = 42600") ||
		!strings.Contains(out, "the config in force stays: "+cfg+":1: office = 42600") {
		t.Errorf("reload with a bad config: exit %d: %s", code, out)
	}
	// A config emptied (a save that failed, a file read as it is
	// truncated) was the built-in defaults: its reload put the default
	// keyring and tariffs and no revocation list in force. It is refused.
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	testdata.Wait(t, 30*time.Second, "the daemon refusing the empty config", func() bool {
		return strings.Contains(daemonErr.String(), "config file "+cfg+" is empty (no key set)")
	})
	if strings.Contains(daemonErr.String(), "keyring="+defaultKeyring()) {
		t.Errorf("the empty config's default keyring was loaded:\n%s", daemonErr.String())
	}
	cancel()
	pw.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("markd run did not stop")
	}
}

// defaultKeyring is the keyring of the built-in defaults.
func defaultKeyring() string { return config.Default().Keyring }
