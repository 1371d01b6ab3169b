package daemon

import (
	"os"

	"golang.org/x/sys/windows"
)

// isNullDevice: f is a character device that is not a console (NUL, as
// `markd run < NUL` gives it). os.SameFile against NUL's Stat is no test
// here: a pipe's and NUL's file ids are both zero (under wine at least),
// so a piped stdin read as NUL and markd run had no source.
func isNullDevice(f *os.File) bool {
	h := windows.Handle(f.Fd())
	t, err := windows.GetFileType(h)
	if err != nil || t != windows.FILE_TYPE_CHAR {
		return false
	}
	var mode uint32
	return windows.GetConsoleMode(h, &mode) != nil
}
