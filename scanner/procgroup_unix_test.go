//go:build unix

package scanner

import (
	"errors"
	"syscall"
	"testing"
)

// processGone reports whether no process pid exists any more.
func processGone(t *testing.T, pid int) bool {
	t.Helper()
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
