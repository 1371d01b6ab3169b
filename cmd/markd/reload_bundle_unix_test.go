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
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := control.Send(ctl, control.CmdPing, 5*time.Second); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("control channel %s never answered; log:\n%s", ctl, p.stderr())
		}
	}
	return p, cfg
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
