//go:build !windows

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockInstance takes an exclusive flock(2) on the store file itself, held
// by f until unlockInstance. flock locks are separate from the fcntl locks
// SQLite takes on the same file; the kernel drops it when the process
// dies, so a SIGKILL leaves nothing to clean up. f must stay open until
// SQLite has closed the file: closing any descriptor of a file drops the
// process's fcntl locks on it.
func lockInstance(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInstanceLocked
		}
		return nil, err
	}
	return f, nil
}
