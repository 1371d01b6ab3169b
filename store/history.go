package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
// event id the collector has from this terminal.
func (d *DB) RestoreDone(ctx context.Context, lastEventID int64) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
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
