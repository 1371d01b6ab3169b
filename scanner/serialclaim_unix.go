//go:build unix

package scanner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// claimPort makes the tty open on fd (path name) the reader's alone, so
// that another reader (a second markd, a technician's cat or screen) does
// not take its lines or halves of them. pty reports whether it is a
// pseudo-terminal, whose claim is a lock (Close need not give it up).
//
// A real serial line (ttyUSB, ttyACM, ttyS) is claimed with TIOCEXCL:
// every later open fails with EBUSY ("in use by another program"), except
// for root (CAP_SYS_ADMIN); the line forgets it at its last close, so a
// markd killed with SIGKILL leaves nothing behind.
//
// A pseudo-terminal (a socat-bridged network scanner) outlives its last
// close while the other side is open, and with it a TIOCEXCL claim: a
// markd killed with SIGKILL kept the markd started after it off the port
// (EBUSY) until socat restarted. A pty is claimed with an advisory lock
// instead (flock LOCK_EX|LOCK_NB on its device), held by the open
// descriptor and gone when the process is: another markd finds it held by
// a live one and is refused with the same EBUSY; one started after a
// SIGKILL takes it. A claim an older markd left (TIOCEXCL) is given up
// once the lock is held. The lock binds only those that take it: a cat
// or screen on a pty is not refused (docs/notes/scanner.md).
func claimPort(fd int, name string) (pty bool, err error) {
	if !isPty(fd, name) {
		if err := unix.IoctlSetInt(fd, unix.TIOCEXCL, 0); err != nil {
			return false, fmt.Errorf("open %s: claim it (TIOCEXCL): %w", name, err)
		}
		return false, nil
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			// As a TIOCEXCL claim answers: PlainDeviceError's "in use
			// by another program"
			return true, fmt.Errorf("%w (a pseudo-terminal: another live process holds its lock)",
				&os.PathError{Op: "open", Path: name, Err: syscall.EBUSY})
		}
		return true, fmt.Errorf("open %s: claim it (flock): %w", name, err)
	}
	_ = unix.IoctlSetInt(fd, unix.TIOCNXCL, 0)
	return true, nil
}

// Linux numbers its pty slaves (/dev/pts/N) under majors 136 to 143
// (UNIX98_PTY_SLAVE_MAJOR, UNIX98_PTY_MAJOR_COUNT).
const ptsMajorFirst, ptsMajorLast = 136, 143

// darwinPty is a macOS pty slave's name.
var darwinPty = regexp.MustCompile(`^/dev/ttys[0-9]+$`)

// isPty reports whether the tty open on fd (path name, maybe a link such
// as socat's) is a pseudo-terminal: on Linux by its device's major
// number, elsewhere (or where fstat fails) by the device's path.
func isPty(fd int, name string) bool {
	var st unix.Stat_t
	if runtime.GOOS == "linux" && unix.Fstat(fd, &st) == nil {
		m := unix.Major(uint64(st.Rdev))
		return m >= ptsMajorFirst && m <= ptsMajorLast
	}
	dev, err := filepath.EvalSymlinks(name)
	return err == nil && (strings.HasPrefix(dev, "/dev/pts/") || darwinPty.MatchString(dev))
}

// PortFree reports a port another process reads (markd doctor, before it
// opens the port to check it): a pty whose lock (claimPort) a live
// process holds gives an *os.PathError of EBUSY, as an open of a line
// claimed with TIOCEXCL does. Any other failure is left to the open that
// follows (nil).
func PortFree(path string) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	if !isPty(fd, path) {
		return nil
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); errors.Is(err, unix.EWOULDBLOCK) {
		return fmt.Errorf("%w (a pseudo-terminal: another live process holds its lock)",
			&os.PathError{Op: "open", Path: path, Err: syscall.EBUSY})
	}
	return nil // the lock, if taken, goes with fd
}
