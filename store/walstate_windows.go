package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// stateLocks: the WAL state file is kept (walstate.go).
const stateLocks = true

// errLockHeld: another holder's lock conflicts (tryLock).
var errLockHeld = errors.New("byte locked by another holder")

// tryLock takes a lock on byte off of f (LockFileEx), shared or
// exclusive, failing at once with errLockHeld when another handle holds a
// conflicting one. Windows locks belong to the handle; the bytes locked
// lie far past the file's text, which Windows' mandatory locks would
// otherwise keep other handles from reading.
func tryLock(f *os.File, off int64, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	ol := &windows.Overlapped{Offset: uint32(off), OffsetHigh: uint32(off >> 32)}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLockHeld
	}
	return err
}

// unlockByte gives back f's lock on byte off.
func unlockByte(f *os.File, off int64) error {
	ol := &windows.Overlapped{Offset: uint32(off), OffsetHigh: uint32(off >> 32)}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

// sqliteBase is the path SQLite puts the store's -wal and -shm beside:
// the path as given (winFullPathname follows no symbolic link).
func sqliteBase(path string) string { return path }
