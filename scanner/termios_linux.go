package scanner

import (
	"golang.org/x/sys/unix"
)

type termios = unix.Termios

// lineSettings sets VMIN and VTIME on the tty fd and returns its settings
// as the kernel then holds them.
func lineSettings(fd int, vmin, vtime uint8) (*termios, error) {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = vmin, vtime
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return nil, err
	}
	return unix.IoctlGetTermios(fd, unix.TCGETS)
}

// keepLineSettings puts want back when the tty's settings differ from it
// (another program changed them).
func keepLineSettings(fd int, want *termios) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	if *t == *want {
		return nil
	}
	return unix.IoctlSetTermios(fd, unix.TCSETS, want)
}

// wakeReaders wakes the reads waiting on the tty fd: setting its line
// settings (the same ones) does, and each such read then looks again at
// its descriptor's flags.
func wakeReaders(fd int) {
	if t, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
		_ = unix.IoctlSetTermios(fd, unix.TCSETS, t)
	}
}
