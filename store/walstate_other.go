//go:build !linux && !windows

package store

import (
	"errors"
	"os"
)

// stateLocks: on the other systems (macOS, the BSDs: no OFD locks) the
// WAL state file is not kept, as the -shm is not looked at there
// (walloss_other.go).
const stateLocks = false

var errLockHeld = errors.New("byte locked by another holder")

func tryLock(*os.File, int64, bool) error { return errors.ErrUnsupported }

func unlockByte(*os.File, int64) error { return nil }

func sqliteBase(path string) string { return path }
