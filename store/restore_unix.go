//go:build !windows

package store

import (
	"os"
	"syscall"
)

// releaseBeforeMove: on Unix the instance lock is held until the backup
// is in place (a lock on the old file, which a rename does not disturb).
func releaseBeforeMove(**os.File) {}

// giveOwner gives the file at to the owner of the file at from when root
// runs the restore: the daemon's user must be able to write the store.
func giveOwner(from, to string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(from)
	if err != nil {
		return nil // no store in place: the restored one stays root's
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return os.Lchown(to, int(st.Uid), int(st.Gid))
}
