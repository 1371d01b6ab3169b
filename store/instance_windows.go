//go:build windows

package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// instanceLockOffset is the byte of the store file locked by lockInstance:
// far beyond any page, and away from the bytes SQLite locks (around 1 GiB).
const instanceLockOffset = 1 << 62

// lockInstance locks one byte of the store file far past its end
// (LockFileEx), held by f until unlockInstance; Windows drops it when the
// process dies.
func lockInstance(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ol := &windows.Overlapped{Offset: uint32(instanceLockOffset & 0xffffffff), OffsetHigh: uint32(instanceLockOffset >> 32)}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, errInstanceLocked
		}
		return nil, err
	}
	return f, nil
}
