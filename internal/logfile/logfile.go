// Package logfile is a size-rotated log file for the Windows service,
// which has no journald: markd.log grows to MaxSize, then becomes
// markd.log.1 (the older ones move up to markd.log.Keep, the oldest is
// dropped) and a new markd.log starts. A markd.log deleted under it is
// made again; one that cannot be renamed is emptied in place: the log
// neither dies nor grows without bound on the store's disk.
package logfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Defaults of Open.
const (
	DefaultMaxSize = 10 << 20
	DefaultKeep    = 5
)

// checkEvery is how many writes go by between two looks whether markd.log
// is still the file being written (deleted or replaced under it).
const checkEvery = 64

// Writer is an io.Writer safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	path    string
	maxSize int64
	keep    int
	f       *os.File // nil after a failed reopen: the next Write tries again
	size    int64
	writes  int
	closed  bool
}

// Open opens (appending) or creates path; maxSize <= 0 and keep <= 0 take
// the defaults.
func Open(path string, maxSize int64, keep int) (*Writer, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	w := &Writer{path: path, maxSize: maxSize, keep: keep}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past MaxSize
// (a record is never split across two files).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	if w.writes++; w.f != nil && w.writes%checkEvery == 0 {
		w.reopenIfGone()
	}
	if w.f == nil {
		if err := w.open(); err != nil {
			return 0, err
		}
	}
	if w.size > 0 && w.size+int64(len(p)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

// reopenIfGone opens markd.log again when the open file is no longer it
// (deleted, or renamed away by logrotate without copytruncate): the lines
// would go to a file nobody can read until the next rotation.
func (w *Writer) reopenIfGone() {
	named, err := os.Stat(w.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return // cannot tell: keep writing where we are
	}
	if open, err2 := w.f.Stat(); err == nil && err2 == nil && os.SameFile(named, open) {
		return
	}
	w.f.Close()
	w.f = nil
	_ = w.open() // on failure the next Write tries again
}

// rotate closes the file (Windows renames no open file), shifts the old
// ones up and opens a new one. A markd.log that is gone starts anew; one
// that cannot be renamed (another program holds it on Windows) is emptied
// instead, so the size limit holds.
func (w *Writer) rotate() error {
	w.f.Close() // written through: a failed close loses nothing of ours
	w.f = nil
	_ = os.Remove(fmt.Sprintf("%s.%d", w.path, w.keep))
	for i := w.keep - 1; i >= 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1))
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		if err := os.Truncate(w.path, 0); err != nil {
			return fmt.Errorf("rotate log file: neither renamed nor emptied: %w", err)
		}
	}
	return w.open()
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
