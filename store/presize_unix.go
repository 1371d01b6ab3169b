//go:build !windows

package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// presizeScans is how many scans the WAL made ahead holds: more than a
// busy counter's scans between two pauses, where the WAL is checkpointed
// and restarts (checkpoint.go). A feed without pauses grows it once, up to
// CheckpointEvery scans; zeros for that many (~50 MB) would cost an SD
// card seconds at every start.
const presizeScans = 512

// presizeWAL gives a store that has no WAL yet one of zeros, as long as
// presizeScans one-scan saves fill (a few frames each), synced, before
// SQLite opens it. SQLite deletes the WAL when
// the last connection closes, so every start of `markd run` begins with an
// empty one, and through the first cycle every commit used to grow the
// file: its sync then writes the file's size and new blocks too (an
// append with fsync 270–310 µs against 160 µs for rewriting blocks the
// file has here; blocks reserved with fallocate cost as much as growing).
// Zeros are an empty WAL to SQLite: a header whose magic is not the WAL's
// is read as no frames, and the first commit writes a header of its own.
//
// The zeros are written to a file beside the WAL and linked into place,
// which fails if a WAL appeared meanwhile (another process opened the
// store): an existing WAL is never written. It returns false with no
// error when there was nothing to do (a WAL exists, or path is not yet a
// SQLite file). The WAL is made where SQLite takes it (sqliteBase:
// beside a symbolic link's target on Linux), not beside the link.
func presizeWAL(path string) (bool, error) {
	wal := sqliteBase(path) + "-wal"
	if _, err := os.Lstat(wal); err == nil || !errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	pageSize, mode, ok := dbPageSize(path)
	if !ok {
		return false, nil
	}
	// frames a scan: 4 in most commits, 7 on a leaf split (docs/notes/perf.md)
	size := int64(32 + presizeScans*6*(pageSize+24))
	tmp := wal + ".presize"
	os.Remove(tmp) // left by a start that was cut short
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return false, fmt.Errorf("presize WAL: %w", err)
	}
	defer os.Remove(tmp) // after the link, the WAL's other name
	zeros := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(zeros)) {
		if _, err := f.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
			f.Close()
			return false, fmt.Errorf("presize WAL: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, fmt.Errorf("presize WAL: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("presize WAL: %w", err)
	}
	presizeBeforeLink()
	if err := os.Link(tmp, wal); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil // another process made the WAL first
		}
		return false, fmt.Errorf("presize WAL: %w", err)
	}
	return true, nil
}

// presizeBeforeLink runs between the zeros' sync and their link into
// place; a test makes a WAL appear there.
var presizeBeforeLink = func() {}

// dbPageSize reads the page size from the header of the SQLite file at
// path, and the file's permission bits (the WAL gets the same, as SQLite
// gives it); ok is false when path is not (yet) a SQLite file.
func dbPageSize(path string) (int, os.FileMode, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:16]) != "SQLite format 3\x00" {
		return 0, 0, false
	}
	ps := int(binary.BigEndian.Uint16(h[16:18]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return 0, 0, false
	}
	return ps, fi.Mode().Perm(), true
}
