package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// The reuse history of a store: a store made by Create has forgotten
// every serial its office accepted before, so until the office's used
// serials are restored from the collector (RestoreSerials, RestoreDone) it
// must not accept marks. A store opened from before this existed, or one
// made by Open on a new file (tests), has its history.
const (
	historyKey       = "reuse_history"        // "pending" while not restored
	historyCursorKey = "reuse_history_cursor" // last serial restored
	// historyThroughKey names the collector's record that the last
	// restore of a store found behind caught up to: the store never had
	// it, and is not behind for it.
	historyThroughKey = "reuse_history_through"
	// backupCopyKey is written into the copy markd backup makes (never
	// into the store it copies): a copy put back in place is compared
	// with the collector before it accepts a mark.
	backupCopyKey = "backup_copy"
)

// RestoredSerial is one serial the office used, as the collector holds it.
type RestoredSerial struct {
	Serial   uint64
	RecordID string
	At       time.Time
	Office   uint32
	Counter  string
}

// HistoryPending reports whether the store still lacks its office's
// reuse history, and the serial after which restoring goes on.
func (d *DB) HistoryPending(ctx context.Context) (pending bool, cursor uint64, err error) {
	var state, cur sql.NullString
	err = d.db.QueryRowContext(ctx, `SELECT (SELECT value FROM sync_state WHERE key = ?), (SELECT value FROM sync_state WHERE key = ?)`,
		historyKey, historyCursorKey).Scan(&state, &cur)
	if err != nil {
		return false, 0, storeErr("read reuse history state", err)
	}
	if cur.Valid {
		if cursor, err = strconv.ParseUint(cur.String, 10, 64); err != nil {
			return false, 0, fmt.Errorf("sync_state %s = %q: %w", historyCursorKey, cur.String, mark.ErrInvalid)
		}
	}
	return state.String == "pending", cursor, nil
}

// markHistoryPending records that the store starts without its history.
func (d *DB) markHistoryPending(ctx context.Context) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, 'pending')
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, historyKey)
		return err
	})
}

// RestoreSerials stores one page of the office's used serials and the
// cursor after it, in one transaction (a restart resumes after it). A
// serial this store holds already keeps its holder.
func (d *DB) RestoreSerials(ctx context.Context, serials []RestoredSerial, cursor uint64) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO restored_serials(serial, record_id, at, office, counter)
			SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM used_serials WHERE serial = ?1)
			ON CONFLICT(serial) DO NOTHING`)
		if err != nil {
			return storeErr("restore serials", err)
		}
		defer st.Close()
		for _, s := range serials {
			if _, err := st.ExecContext(ctx, int64(s.Serial), s.RecordID, formatTime(s.At), s.Office, s.Counter); err != nil {
				return storeErr("restore serials", err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, historyCursorKey, strconv.FormatUint(cursor, 10))
		return err
	})
}

// RestoreDone records that the office's reuse history is complete, and
// numbers the audit (the review events) above lastEventID, the highest
// event id the collector has from this terminal. through is the
// terminal's newest record at the collector ("" = none or not told): the
// store is caught up to it (BehindCollector).
func (d *DB) RestoreDone(ctx context.Context, lastEventID int64, through string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		if through != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, historyThroughKey, through); err != nil {
				return storeErr("note the collector's last record", err)
			}
		}
		// The audit ids are the review events' ids at the collector: a
		// new store numbers them above the ones its terminal sent before
		// (the collector refuses an id used for another decision).
		if lastEventID > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sqlite_sequence(name, seq)
				SELECT 'audit', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit')`); err != nil {
				return storeErr("number audit ids", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit'`, lastEventID); err != nil {
				return storeErr("number audit ids", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE sync_state SET value = 'restored' WHERE key = ?`, historyKey)
		return err
	})
}

// RestoredCount is the number of serials restored from the collector.
func (d *DB) RestoredCount(ctx context.Context) (int64, error) {
	var n int64
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM restored_serials`).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, storeErr("count restored serials", err)
	}
	return n, nil
}

// Behind is how a store stands against what the collector holds from its
// terminal: a record it never had, or review event ids above its own.
type Behind struct {
	MissingRecord string // the collector's newest record of the terminal, not in this store ("" = has it)
	EventID       int64  // the collector's highest event id, when above this store's audit ids (0 = not)
	AuditID       int64  // this store's highest audit id
}

// IsBehind reports whether the collector holds anything this store lacks.
func (b Behind) IsBehind() bool { return b.MissingRecord != "" || b.EventID > 0 }

// BehindCollector compares the store with what the collector holds from
// its terminal: lastRecord, its newest record ("" = none), and
// lastEventID, the highest review event id it has. A store put back from
// an older copy lacks the one or numbers its audit below the other. Three
// lookups by key: what a store that is not behind pays.
func (d *DB) BehindCollector(ctx context.Context, lastRecord string, lastEventID int64) (Behind, error) {
	var has bool
	var audit int64
	var through sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM scans WHERE id = ?1),
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0),
		(SELECT value FROM sync_state WHERE key = ?2)`, lastRecord, historyThroughKey).Scan(&has, &audit, &through)
	if err != nil {
		return Behind{}, storeErr("compare the store with the collector", err)
	}
	b := Behind{AuditID: audit}
	if lastRecord != "" && !has && through.String != lastRecord {
		b.MissingRecord = lastRecord
	}
	if lastEventID > audit {
		b.EventID = lastEventID
	}
	return b, nil
}

// RestoreAgain puts a store found behind the collector back to a pending
// reuse history: the office's used serials are restored again from the
// first page (a serial already here keeps its holder) before a mark is
// accepted, and the audit numbered above the collector's event ids
// (RestoreDone). through is the collector's record the store lacks, so
// the next comparison does not find it behind for that record again. A
// restore under way (a store made by markd init) keeps its cursor.
func (d *DB) RestoreAgain(ctx context.Context, through string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		var state sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, historyKey).Scan(&state); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return storeErr("read reuse history state", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sync_state WHERE key = ?`, backupCopyKey); err != nil {
			return storeErr("restore the reuse history again", err)
		}
		if state.String != "pending" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sync_state WHERE key = ?`, historyCursorKey); err != nil {
				return storeErr("restore the reuse history again", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, 'pending')
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, historyKey); err != nil {
			return storeErr("restore the reuse history again", err)
		}
		if through == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, historyThroughKey, through)
		if err != nil {
			return storeErr("restore the reuse history again", err)
		}
		return nil
	})
}

// BackupCopy reports whether the store is a copy made by Backup that has
// not been compared with the collector since (CompareDone).
func (d *DB) BackupCopy(ctx context.Context) (bool, error) {
	_, ok, err := d.SyncState(ctx, backupCopyKey)
	return ok, err
}

// CompareDone records that the store was compared with the collector and
// is not behind: a backup copy put in place accepts from now on.
func (d *DB) CompareDone(ctx context.Context) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sync_state WHERE key = ?`, backupCopyKey); err != nil {
			return storeErr("note the comparison with the collector", err)
		}
		return nil
	})
}

// markBackupCopy writes into the copy at path that it is one (unless
// markCopy is false: it is marked already), and marks its open record closed
// (opencopy.go): it reports whether that said open, the copy taken while
// markd had the store open.
func markBackupCopy(ctx context.Context, path string, at time.Time, markCopy bool) (wasOpen bool, err error) {
	q := url.Values{"_busy_timeout": {"5000"}}
	sqldb, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return false, err
	}
	defer sqldb.Close()
	if markCopy {
		_, err = sqldb.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, backupCopyKey, formatTime(at))
		if err != nil {
			return false, err
		}
	}
	if wasOpen, err = closeOpenRecord(ctx, sqldb); err != nil {
		return false, err
	}
	return wasOpen, sqldb.Close()
}

// ResendEvent writes review event id again as a new audit line (the next
// id) and moves the event cursor past id, in one transaction: the
// collector holds id for another decision (a store put back from an
// older copy numbered it again), so the decision goes under the new id,
// above the collector's once the restore numbered the audit (RestoreDone).
// The new line's detail names the id it repeats. It returns the new id.
func (d *DB) ResendEvent(ctx context.Context, id int64) (int64, error) {
	var newID int64
	err := d.Write(ctx, func(tx *sql.Tx) error {
		var e AuditEntry
		var at string
		err := tx.QueryRowContext(ctx, `SELECT at, actor, action, record_id, note, detail FROM audit WHERE id = ?`, id).
			Scan(&at, &e.Actor, &e.Action, &e.RecordID, &e.Note, &e.Detail)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("audit %d: %w", id, mark.ErrNotFound)
		}
		if err != nil {
			return storeErr("read audit", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fmt.Errorf("audit %d: bad time %q: %w", id, at, mark.ErrInvalid)
		}
		e.Detail = strings.TrimSpace(e.Detail + fmt.Sprintf(" (sent again: the collector holds audit id %d for another decision)", id))
		if err := appendAudit(ctx, tx, e); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT last_insert_rowid()`).Scan(&newID); err != nil {
			return storeErr("read audit id", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value
			WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
			StateEventCursor, strconv.FormatInt(id, 10)); err != nil {
			return storeErr("advance event cursor", err)
		}
		return nil
	})
	return newID, err
}

// HistoryRestored reports whether a restore completed on this store
// (RestoreDone): its audit is numbered above the collector's event ids as
// they were then.
func (d *DB) HistoryRestored(ctx context.Context) (bool, error) {
	v, ok, err := d.SyncState(ctx, historyKey)
	return ok && v == "restored", err
}
