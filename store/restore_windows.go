//go:build windows

package store

import "os"

// releaseBeforeMove closes the instance lock's handle: Windows does not
// rename a file held open. From here a daemon's handle on the store (no
// FILE_SHARE_DELETE) makes the move fail instead.
func releaseBeforeMove(lock **os.File) {
	if *lock != nil {
		(*lock).Close()
		*lock = nil
	}
}

// giveOwner: file ACLs on Windows are the installer's business.
func giveOwner(string, string) error { return nil }
