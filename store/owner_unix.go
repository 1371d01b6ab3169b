//go:build !windows

package store

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"markd/mark"
)

// checkWritable refuses a store this process may read but not write (a
// store root made, and a daemon started as the service user): SQLite would
// open it and then answer every scan with "readonly database".
func checkWritable(path string) error {
	for _, p := range []string{path, filepath.Dir(path)} {
		// The error wraps the EACCES (fs.ErrPermission): markd run exits
		// 78 on it, as a restart cannot mend it.
		if err := syscall.Access(p, 2 /* W_OK */); err != nil && errors.Is(err, syscall.EACCES) {
			owner, mine := "its owner", false
			if fi, err := os.Stat(p); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					owner, mine = "uid "+strconv.Itoa(int(st.Uid)), int(st.Uid) == os.Geteuid()
					if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
						owner = u.Username
					}
				}
			}
			me := strconv.Itoa(os.Geteuid())
			if u, err := user.Current(); err == nil {
				me = u.Username
			}
			if mine { // a chown to the same user changes nothing: its mode is the cause
				return mark.WithHint(fmt.Errorf("store %s: %s belongs to %s, but its mode does not let %s write it: %w: %w", path, p, owner, me, mark.ErrUnavailable, err),
					fmt.Sprintf("make it writable for its owner: chmod u+w %s", p))
			}
			return mark.WithHint(fmt.Errorf("store %s: %s belongs to %s and %s may not write it: %w: %w", path, p, owner, me, mark.ErrUnavailable, err),
				fmt.Sprintf("give it to the user markd runs as: chown %s %s %s-wal %s-shm %s%s %s", me, path, path, path, path, WALStateSuffix, filepath.Dir(path)))
		}
	}
	return nil
}

// keepOwner gives the -wal, -shm and WAL state files of a store opened by root the
// owner of the store itself: `markd user add` run as root on the service
// user's store must not leave files the daemon cannot open.
func keepOwner(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	for _, p := range []string{path + "-wal", path + "-shm", path + WALStateSuffix} {
		if err := os.Lchown(p, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store %s: give %s to its owner: %w", path, p, err)
		}
	}
	return nil
}
