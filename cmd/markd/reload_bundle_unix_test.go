//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/bundle"
	"markd/internal/control"
	"markd/internal/testdata"
)

// bundleCreated is the date of the signed bundle dmBundleConfig keeps.
var bundleCreated = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// dmBundleConfig writes a daemon config into dir (dmConfig) with a
// collector that does not answer and a distribution key, and keeps a
// signed bundle of version 7 in its bundle_dir: markd run starts with
// the bundle's lists in force, as a counter offline since its last poll.
func dmBundleConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := dmConfig(t, dir, "")
	pub, priv, err := bundle.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) bundle.File {
		data, err := os.ReadFile(testdata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return bundle.File{Name: name, Data: data}
	}
	data, err := bundle.Sign(bundle.Contents{Version: 7, Created: bundleCreated,
		Keyring: read("keyring.yaml"), Tariffs: read("tariffs.yaml")}, priv)
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "bundles")
	if err := (bundle.Dir{Path: kept}).Save(7, data); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// port 1 on loopback: nothing listens, the poll fails at once
	if _, err := fmt.Fprintf(f, "sync:\n  url: http://127.0.0.1:1\n  token: t0ken\n  distribution_key: %s\n  bundle_dir: %q\n",
		bundle.EncodePublicKey(pub), kept); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// dmBundleDaemon starts markd run on dmBundleConfig and waits until its
// control channel answers.
func dmBundleDaemon(t *testing.T, dir string) (*dmProc, string) {
	t.Helper()
	cfg := dmBundleConfig(t, dir)
	p := dmStart(t, dmBinary(t), "--config", cfg)
	p.waitLog(t, regexp.MustCompile(`msg="lists restored from kept bundle" .*version=7`), 0)
	ctl := control.Path(filepath.Join(dir, "markd.db"))
	waitControl(t, ctl, p)
	return p, cfg
}

// waitControl waits until the control channel ctl of daemon p answers.
func waitControl(t *testing.T, ctl string, p *dmProc) {
	t.Helper()
	testdata.Wait(t, 60*time.Second, "the control channel "+ctl+" answering (log: "+p.stderr()+")", func() bool {
		_, err := control.Send(ctl, control.CmdPing, 5*time.Second)
		return err == nil
	})
}

// TestReloadUnderBundle: a counter whose lists come from a signed bundle
// reloads its config with exit 0 (a deploy script saw exit 1, "bundle in
// force", though nothing failed): markd reload says the lists in force
// are bundle 7's of its date and that the list files were not applied,
// and the daemon logs the same at INFO, for markd reload and SIGHUP
// alike, never at WARN or ERROR.
func TestReloadUnderBundle(t *testing.T) {
	dir := t.TempDir()
	p, cfg := dmBundleDaemon(t, dir)
	cmd := exec.Command(dmBinary(t), "reload", "--config", cfg, "--timeout", "20s")
	var out strings.Builder
	cmd.Stdout = &out
	code, stderr := testdata.RunExit(t, cmd)
	say := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"config reloaded", "signed bundle 7", "created 2026-11-30 12:00 UTC", "list files were not applied because a bundle is in force"} {
		if !strings.Contains(say, want) {
			t.Errorf("markd reload under a bundle: output lacks %q:\n%s", want, out.String())
		}
	}
	if code != 0 || strings.Contains(out.String(), "config and lists reloaded") {
		t.Errorf("markd reload under a bundle: exit %d, want 0 (and not \"config and lists reloaded\"):\n%s%s", code, out.String(), stderr)
	}
	line := regexp.MustCompile(`level=(\w+) msg="reload: the lists of signed bundle 7 are in force; the list files were not applied" why="?(markd reload|SIGHUP)"?`)
	p.waitLog(t, line, 0)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for _, m := range p.waitLog(t, line, 1) {
		if lvl := line.FindStringSubmatch(m)[1]; lvl != "INFO" {
			t.Errorf("reload under a bundle logged at %s, want INFO: %s", lvl, m)
		}
	}
	if bad := regexp.MustCompile(`level=(WARN|ERROR) msg="?reload`).FindString(p.stderr()); bad != "" {
		t.Errorf("reload under a bundle logged %q", bad)
	}
	p.stop(t)
}

// TestReloadWithServiceEnvironment: a daemon that takes a key from its
// own environment only (a systemd drop-in's Environment=MARKD_SYNC_TOKEN,
// so the token stays out of the file) is reloaded by markd reload from a
// shell without that variable: markd reload needs only db to find the
// daemon, which reads the config with its own environment; it exited 2
// ("a collector needs sync.token") and reloaded nothing.
func TestReloadWithServiceEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(f, "sync:\n  url: http://127.0.0.1:1\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Setenv("MARKD_SYNC_TOKEN", "t0ken") // the daemon's environment
	p := dmStart(t, dmBinary(t), "--config", cfg)
	p.waitLog(t, regexp.MustCompile(`msg=listening`), 0)
	ctl := control.Path(filepath.Join(dir, "markd.db"))
	waitControl(t, ctl, p)
	cmd := exec.Command(dmBinary(t), "reload", "--config", cfg, "--timeout", "20s")
	for _, e := range os.Environ() { // a shell without the service's variable
		if !strings.HasPrefix(e, "MARKD_SYNC_TOKEN=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	var out strings.Builder
	cmd.Stdout = &out
	code, stderr := testdata.RunExit(t, cmd)
	if code != 0 || !strings.Contains(out.String(), "config and lists reloaded") {
		t.Fatalf("markd reload without the daemon's MARKD_SYNC_TOKEN: exit %d, want 0:\n%s%s", code, out.String(), stderr)
	}
	if !strings.Contains(stderr, "sync.token") || !strings.Contains(stderr, "the daemon reads it with its own environment") {
		t.Errorf("markd reload does not say what it could not read here:\n%s", stderr)
	}
	p.waitLog(t, regexp.MustCompile(`msg="lists reloaded" why="markd reload"`), 0)
	// a value the daemon refuses too: exit 1 with the daemon's error
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(body), "rescan_window: 10m", "rescan_window: -1m", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(dmBinary(t), "reload", "--config", cfg, "--timeout", "20s")
	cmd.Env = os.Environ()
	if code, stderr := testdata.RunExit(t, cmd); code != 1 || !strings.Contains(stderr, "markd.yaml:7: rescan_window = -1m0s: must not be negative") {
		t.Errorf("markd reload of a config the daemon refuses: exit %d, want 1 and the daemon's error naming the line:\n%s", code, stderr)
	}
	p.stop(t)
}
