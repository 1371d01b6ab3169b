//go:build unix

package testdata

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestStopSecondSignal: a process that takes the first SIGTERM and
// carries on, as socat 1.7 now and then does, is stopped all the same.
func TestStopSecondSignal(t *testing.T) {
	cmd := exec.Command("sh", "-c", `trap 'trap - TERM' TERM; echo ready; while :; do sleep 0.1; done`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Read(make([]byte, 6)); err != nil { // the trap is set
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { Stop(cmd, syscall.SIGTERM); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("Stop waited for a process that took the first SIGTERM and carried on")
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Exited() && cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("process state %v, want ended by the second SIGTERM", cmd.ProcessState)
	}
}
