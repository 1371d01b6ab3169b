package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// makeAhead allocates and writes the whole file once, then syncs it, so
// the timed writes overwrite blocks already on the disk (no unwritten
// extents to convert, no metadata for fdatasync to write).
func makeAhead(f *os.File, size int64) error {
	zero := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(zero)) {
		if _, err := f.WriteAt(zero, off); err != nil {
			return err
		}
	}
	return f.Sync()
}

func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
