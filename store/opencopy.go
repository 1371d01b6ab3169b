package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/mark"
)

// The open record: the WAL state file (walstate.go) tells whether a
// store's -wal may hold commits its file lacks, but only beside the
// store. A copy of the store file alone taken while markd had it open
// (cp during a run, a backup tool copying *.db) has neither its -wal nor
// its state file, and SQLite opened it as a valid store without the
// commits still in the -wal, silently: their serials were accepted again.
//
// So the store also says it in itself (table open_state, migration 069):
// a process that marks the WAL state file open records "open" after its
// migrations and checkpoints it into the store file at once; the last one
// to close records "closed" before its final checkpoint (release). A
// store file whose record says "open" while neither its -wal nor its
// state file exists beside it is refused (ErrStoreCopied). A copy made
// after a clean stop says "closed"; markd backup's copy and the one
// markd restore puts in place are marked "closed" (markBackupCopy); a
// crash's store file keeps its -wal; a store whose state file exists is
// judged by that file (checkWALState), which knows more (its locks).
// Nothing per scan: one commit and checkpoint at open, one at close.

// ErrStoreCopied: the store file's own record says a markd process had it
// open to write, and neither its -wal nor its WAL state file is beside it:
// a copy of the file alone taken while markd ran, or a store that lost
// both after a crash. It wraps ErrWALLost (no command opens it; exit 78
// for markd run).
var ErrStoreCopied = fmt.Errorf("store file copied or left without its write-ahead log while open: %w", ErrWALLost)

const openStateTable = "open_state"

// recordOpen records in the store that a markd process has it open to
// write, and checkpoints the record into the store file, unless it says
// so already (another process has it open, or the last one crashed).
func (d *DB) recordOpen(ctx context.Context) error {
	var state string
	err := d.db.QueryRowContext(ctx, `SELECT state FROM open_state WHERE id = 1`).Scan(&state)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return d.storeErr("read open_state", err)
	}
	if state == stateOpen {
		return nil
	}
	if err := d.writeOpenState(ctx, stateOpen); err != nil {
		return d.storeErr("record the store open", err)
	}
	var busy, frames, moved int
	if err := d.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &moved); err != nil {
		return d.storeErr("checkpoint the open record", err)
	}
	if busy != 0 || frames != moved {
		// a reader keeps frames back: the store file says "open" once
		// the next checkpoint gets there; a copy meanwhile says what the
		// last close recorded
		d.log.Debug("the open record is not in the store file yet", "frames", frames, "moved", moved)
	}
	return nil
}

// recordClosed records in the store that no markd process has it open:
// release calls it when this is the last, before the final checkpoint.
func (d *DB) recordClosed() {
	if d.replacedErr() != nil {
		return // not the store at d.path any more
	}
	if err := d.writeOpenState(context.Background(), stateClosed); err != nil {
		d.log.Warn("the store's open record was not marked closed: a copy of the store file alone will be refused", "err", err)
	}
}

func (d *DB) writeOpenState(ctx context.Context, state string) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO open_state(id, state, at) VALUES (1, ?, ?)
		ON CONFLICT(id) DO UPDATE SET state = excluded.state, at = excluded.at`,
		state, d.Now().UTC().Format(time.RFC3339Nano))
	return err
}

// closeOpenRecord marks the record of a copy (markd backup's, or the one
// markd restore puts in place) closed, through db open on the copy, and
// reports whether it said open (the copy was taken while markd had the
// store open). A copy of an older markd's store has no record.
func closeOpenRecord(ctx context.Context, db *sql.DB) (wasOpen bool, err error) {
	var state string
	err = db.QueryRowContext(ctx, `SELECT state FROM open_state WHERE id = 1`).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err != nil && !hasTable(ctx, db, openStateTable)):
		return false, nil
	case err != nil:
		return false, err
	case state != stateOpen:
		return false, nil
	}
	_, err = db.ExecContext(ctx, `UPDATE open_state SET state = ? WHERE id = 1`, stateClosed)
	return err == nil, err
}

// hasTable tells whether the database has the table name (false on an
// error).
func hasTable(ctx context.Context, q schemaReader, name string) bool {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return err == nil && n > 0
}

// fileOpenState is the open record the store file at path holds by
// itself (its WAL not read, nothing made beside it): stateOpen with the
// time it was written, or "" (none, an older markd's store, unreadable).
func fileOpenState(ctx context.Context, path string) (state, at string) {
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&immutable=1")
	if err != nil {
		return "", ""
	}
	defer db.Close()
	if db.QueryRowContext(ctx, `SELECT state, at FROM open_state WHERE id = 1`).Scan(&state, &at) != nil {
		return "", ""
	}
	return state, at
}

// checkCopiedOpen refuses (ErrStoreCopied) a store file whose own record
// says open while neither its -wal nor its WAL state file is beside it.
// Read only: the file is read immutable, so nothing is made beside it.
func checkCopiedOpen(path string) error {
	if !stateLocks {
		return nil // no WAL state kept here (walstate_other.go): no record written
	}
	base := sqliteBase(path)
	sp := base + WALStateSuffix
	beside := func() bool { return exists(base+"-wal") || exists(sp) }
	if beside() {
		return nil
	}
	state, at := fileOpenState(context.Background(), path)
	// looked at again: a markd opening the store meanwhile (its -wal made
	// by SQLite, its state file by markOpen, both before its record)
	if state != stateOpen || beside() {
		return nil
	}
	return mark.WithHint(fmt.Errorf("store %s says a markd process has had it open to write since %s, but neither %s-wal nor %s lies beside it: "+
		"it is a copy of the store file alone taken while markd ran (cp, a backup tool copying *.db), or the store lost its -wal and %s after a crash; "+
		"the scans committed since its last checkpoint, if any, are not in it: %w",
		path, at, base, sp, sp, ErrStoreCopied),
		"a copy of the store file alone lacks the scans then only in its -wal, and their serials would be accepted again. "+
			"Take copies with `markd backup FILE` (a whole copy while markd runs), or copy the store only after markd stopped. "+
			"If this is the store and its -wal, -shm and "+sp+" were moved away, put them back beside it. "+
			"To use this file anyway, move it away and put it in place with `markd restore FILE`, which marks it as a backup: "+
			"with sync.url set it restores the serials accepted since from the collector before it accepts a mark")
}
