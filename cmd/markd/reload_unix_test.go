//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// TestRunSIGHUPReloadsConfig: the real markd run process takes SIGHUP as
// a reload of its config and lists. A config naming a keyring without key
// 1 and a new http.hosts: the keyring is applied (the next mark of key 1
// is UNKNOWN_KEY), http.hosts is named as waiting for a restart; a config
// with a bad value is refused naming file:line and the daemon judges on
// under what is in force.
func TestRunSIGHUPReloadsConfig(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	orig, without := testdata.Keyrings(t)
	keyring, noKey1 := filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "keyring-no1.yaml")
	if err := os.WriteFile(keyring, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noKey1, without, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := dmConfig(t, dir, keyring)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := dmStart(t, bin, "--config", cfg)
	p.waitLog(t, regexp.MustCompile(`msg=listening`), 0)
	marks := dmMarks(t, 3, 7_000_000)
	scan := func(i int) runOut {
		t.Helper()
		if _, err := fmt.Fprintln(p.stdin, marks[i]); err != nil {
			t.Fatal(err)
		}
		return p.next(t)
	}
	if o := scan(0); o.Verdict != mark.Accept {
		t.Fatalf("first mark: %s %v", o.Verdict, o.Reasons)
	}
	// Written in place with the watcher's events to come too: the
	// SIGHUP's own reload is the one whose why is SIGHUP.
	changed := strings.Replace(string(text), keyring, noKey1, 1) + "  hosts: [counter-a]\n"
	changed = strings.Replace(changed, "log:\n", "", 1) // http: is the last section now
	changed = strings.Replace(changed, "  format: text\n", "", 1)
	if err := os.WriteFile(cfg, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	restart := regexp.MustCompile(`not in force until markd restarts: http.hosts.*why=SIGHUP`)
	n := len(restart.FindAllString(p.stderr(), -1))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, restart, n)
	p.waitLog(t, regexp.MustCompile(`msg="lists reloaded" why=SIGHUP.*keyring=`+regexp.QuoteMeta(noKey1)), 0)
	if o := scan(1); o.Verdict != mark.Reject || !slices.Equal(o.Reasons, []mark.Reason{mark.ReasonUnknownKey}) {
		t.Errorf("after SIGHUP with a config naming a keyring without key 1: %s %v", o.Verdict, o.Reasons)
	}

	if err := os.WriteFile(cfg, []byte(strings.Replace(changed, "office: 426000", "office: 42600", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := regexp.MustCompile(`config refused.*why=SIGHUP.*` + regexp.QuoteMeta(cfg) + `:1: office = 42600`)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, refused, 0)
	if o := scan(2); o.Verdict != mark.Reject || !slices.Equal(o.Reasons, []mark.Reason{mark.ReasonUnknownKey}) {
		t.Errorf("after SIGHUP with a bad config: %s %v, want the keyring in force (without key 1)", o.Verdict, o.Reasons)
	}
	p.stop(t)
}
