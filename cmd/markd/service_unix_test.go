//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServiceUnit: markd service install writes the systemd unit (here into
// a temp folder, without systemctl), systemd-analyze accepts it, and
// uninstall removes it; markd service unit prints the packagers' unit.
func TestServiceUnit(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	markd := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		return code, out.String() + errb.String()
	}
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	code, out := markd("--config", cfg, "service", "install", "--unit-dir", dir, "--no-systemctl", "--exe", exe)
	if code != 0 {
		t.Fatalf("install: exit %d: %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, unitName))
	if err != nil {
		t.Fatal(err)
	}
	u := string(b)
	for _, want := range []string{
		"ExecStart=" + exe + " run --config " + cfg + " --quiet",
		"User=markd", "Restart=always", "StateDirectory=markd", "WantedBy=multi-user.target",
		// markd reload with another config names the service by its pointer there
		"RuntimeDirectory=markd\n", "RuntimeDirectoryMode=0755\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if sa, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not installed: unit not verified")
	} else if out, err := exec.Command(sa, "verify", filepath.Join(dir, unitName)).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if code, out := markd("service", "uninstall", "--unit-dir", dir, "--no-systemctl"); code != 0 {
		t.Fatalf("uninstall: exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, unitName)); !os.IsNotExist(err) {
		t.Fatalf("unit left after uninstall: %v", err)
	}
	if code, _ := markd("service", "uninstall", "--unit-dir", dir, "--no-systemctl"); code == 0 {
		t.Error("uninstall of nothing succeeded")
	}
	code, out = markd("service", "unit")
	if code != 0 || !strings.Contains(out, "ExecStart=/usr/bin/markd run --config /etc/markd/markd.yaml") {
		t.Fatalf("service unit: exit %d:\n%s", code, out)
	}
	// unit prints the package's unit, not one for the binary it is run
	// from (install's default): its help says which.
	if _, help := markd("service", "unit", "--help"); !strings.Contains(help, "/usr/bin/markd unless --exe") {
		t.Errorf("service unit --help does not say it prints the unit for /usr/bin/markd unless --exe:\n%s", help)
	}
	// The packagers' unit is configs/markd.service (without its comments).
	code, out = markd("service", "unit", "--exe", "/usr/local/bin/markd", "--config", "/etc/markd/markd.yaml")
	conf, err := os.ReadFile(filepath.Join("..", "..", "configs", "markd.service"))
	if err != nil {
		t.Fatal(err)
	}
	if want := string(conf[bytes.Index(conf, []byte("[Unit]")):]); code != 0 || out != want {
		t.Errorf("markd service unit differs from configs/markd.service:\n%s\nwant:\n%s", out, want)
	}
	if code, out := markd("service", "run"); code != exitUsage {
		t.Errorf("service run on Linux: exit %d: %s", code, out)
	}
}

// TestServiceUnitNoRestartOnNewerStore: systemd does not restart markd
// after exit 78 (a store migrated by a newer markd: a restart every 2 s
// would never help; TestRunRefusesNewerStoreForGood).
func TestServiceUnitNoRestartOnNewerStore(t *testing.T) {
	if u := unit("/usr/bin/markd", defaultConfig); !strings.Contains(u, "\nRestartPreventExitStatus=78\n") {
		t.Errorf("the unit restarts markd after exit 78:\n%s", u)
	}
}

// TestServiceInstallSaysNextStep: markd service install says what the
// counter still needs before markd service start (which exits 78 without
// its config or its store): the config, then the store (markd init), then
// the start.
func TestServiceInstallSaysNextStep(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	db := filepath.Join(dir, "markd.db")
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	install := func() string {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"--config", cfg, "service", "install", "--unit-dir", dir, "--no-systemctl", "--exe", exe},
			strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("install: exit %d: %s%s", code, out.String(), errb.String())
		}
		return out.String()
	}
	if out := install(); !strings.Contains(out, "next: write the config "+cfg) || !strings.Contains(out, "markd init --config "+cfg) {
		t.Errorf("no config: %s", out)
	}
	if err := os.WriteFile(cfg, []byte("office: 426000\ndb: "+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := install(); !strings.Contains(out, "next: create the store "+db) || !strings.Contains(out, "markd init --config "+cfg) {
		t.Errorf("no store: %s", out)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfg, "init"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	if out := install(); !strings.Contains(out, "start it with: markd service start") {
		t.Errorf("ready: %s", out)
	}
}
