//go:build unix

package scanner

import (
	"os"
	"syscall"
)

// globMeta are the characters that make a port name a glob
// (/dev/serial/by-id/*).
const globMeta = `*?[\`

// statDev identifies the device node path leads to, so a name that now
// leads to another device (USB re-enumeration) counts as an unplug.
func statDev(path string) (devID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return devID{}, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return devID{rdev: uint64(st.Rdev), ino: uint64(st.Ino)}, nil
	}
	return devID{}, nil
}

// permissionAdvice is the fix for a permission error on a device: group
// is the Unix group that grants access to this kind of device.
func permissionAdvice(group string) string {
	return "permission denied: add the markd user to the " + group + " group"
}
