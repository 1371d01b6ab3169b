//go:build !windows

package daemon

import "os"

// isNullDevice: f is /dev/null itself (same device and inode).
func isNullDevice(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}
