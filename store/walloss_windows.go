package store

import (
	"errors"

	"golang.org/x/sys/windows"
)

// shmDMSByte is the byte of the WAL index (-shm) that SQLite's Windows VFS
// keeps a shared lock on for as long as a process has the index open, its
// "dead-man switch" (os_win.c: WIN_SHM_DMS, (22+SQLITE_SHM_NLOCK)*4 +
// SQLITE_SHM_NLOCK with 8 locks); the first opener takes it exclusively
// for a moment to tell that no one else has the index and it may be
// reset. The same byte as on Unix (unixShmNode's DMS lock).
const shmDMSByte = 128

// shmBusy reports whether the WAL index at path is in use, or may be: a
// process has it open (SQLite's shared lock on the dead-man-switch byte,
// shmDMSByte), this one included, or the probe could not tell.
//
// The probe opens the file with every sharing flag (so it denies SQLite
// no open, rename or delete) and asks for an exclusive lock on that byte
// that fails at once rather than wait, released and closed at once when
// it is granted. Windows byte-range locks belong to the handle that took
// them, not to the process: a lock this process's own SQLite holds on its
// handle refuses the probe's handle as another process's does, and
// closing the probe's handle drops only the probe's lock (unlike fcntl
// locks on Linux, walloss_linux.go). An open that meets the probe's
// moment of lock gets SQLITE_BUSY from its shared-memory map, which SQLite
// takes for a transient race and retries (wal.c, walTryBeginRead).
func shmBusy(path string) bool {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return true
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		// no index: nothing to look at, and no one has it open
		return !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) && !errors.Is(err, windows.ERROR_PATH_NOT_FOUND)
	}
	defer windows.CloseHandle(h) //nolint:errcheck // read only; closing drops the probe's lock if the unlock failed
	return !probeUnlocked(h, shmDMSByte)
}

// probeUnlocked tells whether no handle holds a lock on byte off of the
// file h is open on: an exclusive lock on it, refused at once when
// another handle has any, is granted and given back.
func probeUnlocked(h windows.Handle, off uint32) bool {
	ol := windows.Overlapped{Offset: off}
	err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if err != nil {
		return false // ERROR_LOCK_VIOLATION: held; anything else: not known
	}
	ol = windows.Overlapped{Offset: off}
	if err := windows.UnlockFileEx(h, 0, 1, 0, &ol); err != nil {
		return false // the handle's close gives it back
	}
	return true
}
