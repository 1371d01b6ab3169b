//go:build unix

package store

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DiskFree is the room left for markd on the disk that holds the store
// file at path (blocks free to an unprivileged user).
func DiskFree(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(path), &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // field types differ per OS
}
