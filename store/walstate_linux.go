package store

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// stateLocks: the WAL state file is kept (walstate.go).
const stateLocks = true

// errLockHeld: another holder's lock conflicts (tryLock).
var errLockHeld = errors.New("byte locked by another holder")

// tryLock takes an open file description (OFD) lock on byte off of f,
// shared or exclusive, failing at once with errLockHeld when another
// description holds a conflicting one. OFD locks, unlike the process's
// fcntl locks, belong to the descriptor that took them: two stores open
// in one process hold their own, and closing one drops no other's.
func tryLock(f *os.File, off int64, exclusive bool) error {
	typ := int16(unix.F_RDLCK)
	if exclusive {
		typ = unix.F_WRLCK
	}
	err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: typ, Whence: 0, Start: off, Len: 1})
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
		return errLockHeld
	}
	return err
}

// unlockByte gives back f's lock on byte off.
func unlockByte(f *os.File, off int64) error {
	return unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: unix.F_UNLCK, Whence: 0, Start: off, Len: 1})
}

// sqliteBase is the path SQLite puts the store's -wal and -shm beside:
// the store's own, a symbolic link followed (SQLite's unixFullPathname
// does). The state file goes beside them: looked for beside a link, a
// -wal beside its target was missing, and an intact store refused.
func sqliteBase(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}
