package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestRunRefusesSecondInstance: a second `markd run` on a store a running
// daemon holds exits 1 naming the store and saying markd already runs on
// it; the first keeps recording. (Before, both ran: two daemons of one
// counter sharing its batches and its WAL made ahead.)
func TestRunRefusesSecondInstance(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 2, 3_000_000)
	a := dmStart(t, bin, "--config", cfg)
	fmt.Fprintln(a.stdin, marks[0])
	if o := a.next(t); o.Verdict != mark.Accept {
		t.Fatalf("first daemon: %s %v", o.Verdict, o.Reasons)
	}
	b := dmStart(t, bin, "--config", cfg)
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("a second markd run on the same store still runs; stderr:\n%s", b.stderr())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second markd run on the same store: %v, want exit 1; stderr:\n%s", err, b.stderr())
	}
	if s := b.stderr(); !strings.Contains(s, "markd.db") || !strings.Contains(s, "already running") {
		t.Errorf("second markd run's message names neither the store nor the running daemon:\n%s", s)
	}
	fmt.Fprintln(a.stdin, marks[1])
	if o := a.next(t); o.Verdict != mark.Accept {
		t.Fatalf("first daemon after the refusal: %s %v", o.Verdict, o.Reasons)
	}
	a.stop(t)
	// once the first has stopped, the store is free again
	c := dmStart(t, bin, "--config", cfg)
	fmt.Fprintln(c.stdin, marks[0])
	if o := c.next(t); o.Verdict != mark.DuplicateScan && o.Verdict != mark.Reject {
		t.Fatalf("restarted daemon: %s %v", o.Verdict, o.Reasons)
	}
	c.stop(t)
}
