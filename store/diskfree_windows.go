package store

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// DiskFree is the room left for markd on the disk that holds the store
// file at path (the bytes free to this account, quotas counted).
func DiskFree(path string) (uint64, error) {
	dir, err := windows.UTF16PtrFromString(filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(dir, &free, &total, &totalFree); err != nil {
		return 0, err
	}
	return free, nil
}
