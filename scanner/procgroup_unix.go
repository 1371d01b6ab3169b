//go:build unix

package scanner

import (
	"os/exec"
	"syscall"
)

// procGroup is ffmpeg and whatever it starts: on Unix its own process
// group, killed as a whole, so no ffmpeg outlives the source.
type procGroup struct{ cmd *exec.Cmd }

// newProcGroup prepares cmd (before Start) to run in a group of its own.
func newProcGroup(cmd *exec.Cmd) *procGroup {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return &procGroup{cmd: cmd}
}

// started is called after a successful Start.
func (g *procGroup) started() error { return nil }

// kill kills every process of the group.
func (g *procGroup) kill() error { return syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL) }

// close releases the group once its processes are gone.
func (g *procGroup) close() {}
