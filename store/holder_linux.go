package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockHolder names the process that holds an SQLite lock on the store at
// path ("pid 4242 (sqlite3)"), or "" when none is found: fcntl(F_GETLK)
// on the WAL index (-shm), where the writer of a WAL store holds its lock,
// then on the store file; the process's name from /proc. For an error
// message only.
//
// Closing any descriptor of a file drops this process's fcntl locks on it
// (SQLite's among them), so a file this process has open is asked through
// the descriptor it has (/proc/self/fd), never opened and closed again.
func lockHolder(path string) string {
	for _, p := range []string{path + "-shm", path} {
		if pid := lockPid(p); pid > 0 {
			name, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
			if err != nil {
				return fmt.Sprintf("pid %d", pid)
			}
			return fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(name)))
		}
	}
	return ""
}

// lockPid is the pid of a process holding an fcntl lock on the file, or 0.
func lockPid(path string) int {
	fd, ok, known := ownFd(path)
	if !known {
		return 0 // /proc unreadable: opening the file could drop a lock of ours
	}
	if !ok {
		f, err := os.Open(path)
		if err != nil {
			return 0
		}
		defer f.Close() // this process has no descriptor of it, so no lock on it to drop
		fd = int(f.Fd())
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk); err != nil || lk.Type == unix.F_UNLCK {
		return 0
	}
	return int(lk.Pid)
}

// ownFd is a descriptor of this process open on the file at path; known
// is false when this process's descriptors could not be listed.
func ownFd(path string) (fd int, ok, known bool) {
	want, err := filepath.Abs(path)
	if err != nil {
		return 0, false, false
	}
	if real, err := filepath.EvalSymlinks(want); err == nil {
		want = real
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false, false
	}
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == want {
			if fd, err := strconv.Atoi(e.Name()); err == nil {
				return fd, true, true
			}
		}
	}
	return 0, false, true
}
