//go:build unix

package scanner

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"markd/mark"
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int): with argument 1 the
// device's events go to this fd only, so the scanned text is not typed
// into whatever window has the focus.
const eviocgrab = 0x40044590

// OpenInput opens an evdev device (or a recorded stream) for reading,
// non-blocking so Go's poller can interrupt the read, and grabs it when
// asked. A grab on something that is not an input device fails with a
// plain error.
func OpenInput(path string, grab bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if grab {
		if err := ioctlInt(f, eviocgrab, 1); err != nil {
			f.Close()
			if errors.Is(err, syscall.ENOTTY) || errors.Is(err, syscall.EINVAL) {
				return nil, fmt.Errorf("grab %s: not an input event device: %w: %w", path, mark.ErrInvalid, err)
			}
			return nil, fmt.Errorf("grab %s (another program holds it?): %w", path, err)
		}
	}
	return f, nil
}

func ioctlInt(f *os.File, req uint, val int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlSetInt(int(fd), req, val) }); err != nil {
		return err
	}
	return ierr
}
