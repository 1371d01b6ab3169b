package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"markd/mark"
)

// ErrReplaced: the store's file on disk is no longer the one this process
// opened (a backup moved over it, the file deleted or renamed while
// markd ran). SQLite keeps writing to the file it opened, so every scan
// "accepted" after that would be lost with it at the next start: the
// store refuses every write from then on (fail closed).
var ErrReplaced = fmt.Errorf("store file replaced while markd ran: %w", mark.ErrUnavailable)

// fileWatch is the identity of the store's file when it was opened and,
// once CheckFile found it gone or replaced, the error every write gives.
type fileWatch struct {
	opened  fs.FileInfo  // nil: not known (the stat at open failed)
	content contentWatch // its header: overwritten in place (overwrite.go)
	err     atomic.Pointer[error]
}

// replacedErr is the error CheckFile set, or nil: the only cost a write
// pays for the watch.
func (d *DB) replacedErr() error {
	if p := d.file.err.Load(); p != nil {
		return *p
	}
	return nil
}

// CheckFile compares the file at the store's path with the one opened,
// and its header with what markd knows of it (overwrite.go). When it is
// gone, another file, or overwritten in place (ErrOverwritten), every
// later write fails with ErrReplaced (and the pipeline's scans are ERROR
// "not recorded"), Ping too, and no checkpoint runs; the state lasts
// until the process ends, since only a new open can tell which file is
// the store now.
func (d *DB) CheckFile() error {
	if err := d.replacedErr(); err != nil {
		return err
	}
	if d.file.opened == nil {
		return nil
	}
	now, err := os.Stat(d.path)
	var what string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		what = "deleted or renamed"
	case err != nil:
		return nil // not readable now (permissions, a network share): nothing to conclude
	case !os.SameFile(d.file.opened, now):
		what = "replaced by another file"
	default:
		seen := d.file.content.overwritten()
		if seen == "" {
			return nil
		}
		e := overwrittenErr(d.path, seen)
		d.file.err.CompareAndSwap(nil, &e)
		return d.replacedErr()
	}
	e := mark.WithHint(fmt.Errorf("store %s: %w: the file was %s", d.path, ErrReplaced, what),
		"stop markd: scans are not recorded until it starts again on the store; a backup is put back with `markd restore` while markd is stopped, never by copying it over a running store")
	d.file.err.CompareAndSwap(nil, &e)
	return d.replacedErr()
}

// WatchFile checks the store's file every interval (CheckFile) until ctx
// ends, logging once at error level when it was replaced: a service of
// `markd run`.
func (d *DB) WatchFile(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := d.CheckFile(); err != nil {
			d.log.Error("the store's file changed under markd; every scan is refused until markd restarts",
				"path", d.path, "err", err, "hint", mark.Hint(err))
			<-ctx.Done()
			return nil
		}
	}
}
