package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestReloadAfterDBEdited: the config of a running daemon edited to name
// another store (db moved, to apply at the next restart), then markd
// reload with that same config: it looked for a daemon on the new store,
// found none, and its hint named the running daemon's command to reload
// it, the very command that had just failed. The daemon started with
// this config file is the one to reload: reload asks it, and its answer
// names db as waiting for a restart; exit 0.
func TestReloadAfterDBEdited(t *testing.T) {
	bin := dmBinary(t)
	runDir := t.TempDir()
	t.Setenv(control.RunDirEnv, runDir) // the daemon's and reload's /run/markd
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	p := dmStart(t, bin, "--config", cfg, "--quiet")
	testdata.Wait(t, 60*time.Second, "the daemon's pointer", func() bool {
		m, _ := filepath.Glob(filepath.Join(runDir, "*"))
		_, err := os.Stat(control.Path(db))
		return len(m) == 1 && err == nil
	})
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "moved.db")
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(body), db, moved, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--config", cfg, "reload", "--timeout", "20s").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "not in force until markd restarts: db") || !strings.Contains(string(out), db) {
		t.Fatalf("reload after db was edited in the running daemon's config: %v, want exit 0, db waiting for a restart and the store in use (%s) named:\n%s", err, db, out)
	}
	p.waitLog(t, regexp.MustCompile(`why="markd reload"`), 0)
	p.stop(t)
}

// TestReloadOtherStoreSameFolder: the control file is markd.control
// beside the store whatever its name, so markd reload with a config
// naming another store of the running daemon's folder (a mistyped db)
// reached that daemon, reloaded it and said "config and lists reloaded"
// (exit 0) of a store no daemon runs on. It now exits 1, names the
// store it looked for and the daemon that runs beside it, and reloads
// nothing.
func TestReloadOtherStoreSameFolder(t *testing.T) {
	bin := dmBinary(t)
	runDir := t.TempDir()
	t.Setenv(control.RunDirEnv, runDir)
	dir := t.TempDir()
	cfgA := dmConfig(t, dir, "")
	dbA, typo := filepath.Join(dir, "markd.db"), filepath.Join(dir, "mark.db")
	body, err := os.ReadFile(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	cfgB := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfgB, []byte(strings.Replace(string(body), dbA, typo, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := dmStart(t, bin, "--config", cfgA, "--quiet")
	testdata.Wait(t, 60*time.Second, "daemon A's control file", func() bool {
		_, err := control.Send(control.Path(dbA), control.CmdPing, 5*time.Second)
		return err == nil
	})
	out, err := exec.Command(bin, "--config", cfgB, "reload", "--timeout", "20s").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), typo) || !strings.Contains(string(out), dbA) {
		t.Errorf("reload for %s beside the daemon of %s: %v, want exit 1 naming both:\n%s", typo, dbA, err, out)
	}
	if strings.Contains(a.stderr(), `why="markd reload"`) {
		t.Errorf("reload for %s reloaded the daemon of %s:\n%s", typo, dbA, a.stderr())
	}
	a.stop(t)
}
