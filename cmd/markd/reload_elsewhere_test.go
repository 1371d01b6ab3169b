package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/control"
	"markd/internal/testdata"
)

// TestReloadNamesDaemonElsewhere runs the real markd binary: one daemon
// on store A, and `markd reload` with the config of store B (the slip of
// a shell without the service's --config). It used to say only "not
// running"; it now names the store it looked for, the daemon that runs
// on this machine for store A and the command that reloads it, exits 1
// and does not reload A. That command reloads A. A daemon killed without
// removing its pointer is not named.
func TestReloadNamesDaemonElsewhere(t *testing.T) {
	bin := dmBinary(t)
	runDir := t.TempDir()
	t.Setenv(control.RunDirEnv, runDir) // the daemon's and reload's /run/markd
	dirA, dirB := t.TempDir(), t.TempDir()
	cfgA, cfgB := dmConfig(t, dirA, ""), dmConfig(t, dirB, "")
	dbA, dbB := filepath.Join(dirA, "markd.db"), filepath.Join(dirB, "markd.db")

	a := dmStart(t, bin, "--config", cfgA, "--quiet")
	testdata.Wait(t, 60*time.Second, "daemon A's pointer", func() bool {
		m, _ := filepath.Glob(filepath.Join(runDir, "*"))
		_, err := os.Stat(control.Path(dbA))
		return len(m) == 1 && err == nil
	})
	reload := func(cfg string) (int, string) {
		t.Helper()
		out, err := exec.Command(bin, "--config", cfg, "reload", "--timeout", "20s").CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}

	code, out := reload(cfgB)
	t.Logf("reload with store B's config:\n%s", out)
	for _, want := range []string{"not running", dbB, dbA, "markd reload --config " + cfgA} {
		if !strings.Contains(out, want) {
			t.Errorf("reload with store B's config: output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("reload with store B's config: exit %d, want 1:\n%s", code, out)
	}
	if strings.Contains(a.stderr(), `why="markd reload"`) {
		t.Errorf("reload with store B's config reloaded the daemon of store A:\n%s", a.stderr())
	}
	if code, out := reload(cfgA); code != 0 || !strings.Contains(out, "lists reloaded") {
		t.Fatalf("the command the hint gives: exit %d: %s", code, out)
	}

	// Killed: its pointer and control file stay, nothing answers there.
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	if m, _ := filepath.Glob(filepath.Join(runDir, "*")); len(m) != 1 {
		t.Fatalf("after SIGKILL: %v in the run folder, want the stale pointer", m)
	}
	code, out = reload(cfgB)
	if code != 1 || !strings.Contains(out, "not running") || strings.Contains(out, dbA) {
		t.Errorf("reload with store B's config, daemon A killed: exit %d, want 1 without naming store A:\n%s", code, out)
	}

	// Stopped: the pointer goes with it.
	a = dmStart(t, bin, "--config", cfgA, "--quiet")
	testdata.Wait(t, 60*time.Second, "daemon A's pointer again", func() bool {
		_, err := control.Send(control.Path(dbA), control.CmdPing, 5*time.Second)
		return err == nil
	})
	a.stop(t)
	if m, _ := filepath.Glob(filepath.Join(runDir, "*")); len(m) != 0 {
		t.Errorf("after a clean stop: %v left in the run folder", m)
	}
}
