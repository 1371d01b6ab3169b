package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// The outbox of the upload to the collector is the store itself: records
// with upload_state 'pending' (001) and review actions in the audit table
// after the cursor kept in sync_state. Nothing is copied, so the counter
// keeps accepting whatever the collector does, and a restart resumes
// where the last confirmed upload ended.

// The outbox has no index of its own: every index on scans is one more
// WAL frame in each scan's commit (P1). Records go to the collector in id
// order (UUIDv7, time-ordered), so sync_state keeps a floor: no record
// with an id below it is pending. The uploader reads from the floor along
// the primary key's index; a confirmed upload moves the floor up to the
// first record still pending (raiseFloor); a record that becomes pending
// below it (a preset id, a clock set back, a hand-made re-send) moves it
// down in its own transaction (triggers of migration 043). Reading the
// outbox then costs the backlog, not the store.
const (
	floorQuery = `SELECT value FROM sync_state WHERE key = 'upload_floor'`
	setFloor   = `INSERT INTO sync_state(key, value) VALUES ('upload_floor', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`
)

// uploadFloor reads the outbox floor ("" = none: read from the start).
func uploadFloor(ctx context.Context, q querier) (string, error) {
	var floor string
	err := q.QueryRowContext(ctx, floorQuery).Scan(&floor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", storeErr("read outbox floor", err)
	}
	return floor, nil
}

// pendingFrom is the condition of the pending records from the floor or
// after the id after, whichever is higher.
func pendingFrom(floor, after string) (string, string) {
	if floor > after {
		return `upload_state = 'pending' AND id >= ?`, floor
	}
	return `upload_state = 'pending' AND id > ?`, after
}

// Keys of sync_state.
const (
	StateEventCursor   = "event_cursor"   // last audit id the collector confirmed
	StateBundleVersion = "bundle_version" // version of the bundle in force
	StateListsChecked  = "lists_checked"  // RFC 3339: when the collector last confirmed our lists current
	StateFirstStart    = "first_start"    // RFC 3339: first start with sync, the age base before any bundle
	StateLastUpload    = "last_upload"    // Unix ns (counter clock): the last upload the collector confirmed, kept across restarts
)

// UploadActions are the audit actions that travel to the collector.
var UploadActions = []string{ActionConfirm, ActionOverride}

// OutboxStats describes the backlog, for metrics and the status page.
type OutboxStats struct {
	Records int       // records not yet confirmed by the collector
	Oldest  time.Time // time of the oldest of them (zero when none)
	Events  int       // review actions not yet confirmed
	Refused int       // records the collector refused as invalid (set aside)
}

// PendingUploads returns up to limit records not yet uploaded, oldest first
// (ids are UUIDv7, so id order is time order). Camera frames are left out.
func (d *DB) PendingUploads(ctx context.Context, limit int) ([]mark.Record, error) {
	return d.PendingUploadsAfter(ctx, "", limit)
}

// PendingUploadsAfter is PendingUploads from the first id above after, so
// an uploader can prepare the next batch while the previous is in flight.
func (d *DB) PendingUploadsAfter(ctx context.Context, after string, limit int) ([]mark.Record, error) {
	floor, err := uploadFloor(ctx, d.db)
	if err != nil {
		return nil, err
	}
	cond, from := pendingFrom(floor, after)
	return d.queryRecords(ctx, "read outbox", `SELECT `+strings.Replace(recordColumns, "frame", "NULL", 1)+
		` FROM scans WHERE `+cond+` ORDER BY id LIMIT ?`, from, limit)
}

// PendingEvents returns up to limit review actions after the event cursor,
// oldest first, stopping before the first one whose record is still
// pending (the collector must know a record before a decision on it). An
// event on a record the collector refused goes too: the collector refuses
// it as well, and the uploader skips it.
func (d *DB) PendingEvents(ctx context.Context, limit int) ([]AuditEntry, error) {
	cursor, err := d.eventCursor(ctx, d.db)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, a.at, a.actor, a.action, a.record_id, a.note, a.detail,
		coalesce(s.upload_state, '') FROM audit a LEFT JOIN scans s ON s.id = a.record_id
		WHERE a.id > ? AND a.action IN (?, ?) ORDER BY a.id LIMIT ?`,
		cursor, UploadActions[0], UploadActions[1], limit)
	if err != nil {
		return nil, storeErr("read event outbox", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at, upload string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.RecordID, &e.Note, &e.Detail, &upload); err != nil {
			return nil, storeErr("read event outbox", err)
		}
		if upload == string(mark.UploadPending) {
			break
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("audit %d: bad time %q: %w", e.ID, at, mark.ErrInvalid)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read event outbox", err)
	}
	return out, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *DB) eventCursor(ctx context.Context, q querier) (int64, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, StateEventCursor).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr("read sync_state", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("sync_state %s = %q: %w", StateEventCursor, v, mark.ErrInvalid)
	}
	return n, nil
}

// UploadDone is what one confirmed (2xx) upload changes on the counter.
type UploadDone struct {
	RecordIDs   []string          // records the collector stored (or already had)
	LastEventID int64             // highest audit id the collector stored; 0 = none
	Acked       []int64           // alert ids the request acknowledged
	Alerts      []mark.ReuseAlert // alerts in the response
	BatchIDs    []string          // ended batches the collector stored (or already had)
	At          time.Time         // when confirmed (counter clock), kept as StateLastUpload (never backwards); zero = not kept
}

// CompleteUpload applies one confirmed upload in one transaction: records
// become uploaded, the event cursor advances (never backwards), acknowledged
// alerts are marked so, new alerts are stored (a repeated one is ignored)
// and the time of the upload is kept.
func (d *DB) CompleteUpload(ctx context.Context, u UploadDone) error {
	now := d.Now().UTC().Format(time.RFC3339Nano)
	return d.Write(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(u.RecordIDs); start += 500 {
			chunk := u.RecordIDs[start:min(start+500, len(u.RecordIDs))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			if _, err := tx.ExecContext(ctx, `UPDATE scans SET upload_state = 'uploaded' WHERE id IN (?`+
				strings.Repeat(",?", len(chunk)-1)+`)`, args...); err != nil {
				return storeErr("mark uploaded", err)
			}
		}
		if len(u.RecordIDs) > 0 {
			if err := raiseFloor(ctx, tx); err != nil {
				return err
			}
		}
		if u.LastEventID > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value
				WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
				StateEventCursor, strconv.FormatInt(u.LastEventID, 10)); err != nil {
				return storeErr("advance event cursor", err)
			}
		}
		if !u.At.IsZero() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value
				WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
				StateLastUpload, strconv.FormatInt(u.At.UnixNano(), 10)); err != nil {
				return storeErr("keep last upload", err)
			}
		}
		if err := markBatchesUploaded(ctx, tx, u.BatchIDs); err != nil {
			return err
		}
		for _, id := range u.Acked {
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET acked = 1 WHERE hub_id = ?`, id); err != nil {
				return storeErr("ack alert", err)
			}
		}
		for _, a := range u.Alerts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alerts(hub_id, record_id, serial, other_record_id, other_terminal,
				other_office, other_counter, other_at, detected_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(hub_id) DO NOTHING`,
				a.ID, a.RecordID, int64(a.Serial), a.Other.RecordID, a.OtherTerminal, a.Other.Office, a.Other.Counter,
				a.Other.At.UTC().Format(time.RFC3339Nano), a.Detected.UTC().Format(time.RFC3339Nano), now); err != nil {
				return storeErr("store alert", err)
			}
		}
		return nil
	})
}

// raiseFloor moves the outbox floor up to the first record still pending
// (or past the newest record when none is): it walks the records just
// uploaded, not the store.
func raiseFloor(ctx context.Context, tx *sql.Tx) error {
	floor, err := uploadFloor(ctx, tx)
	if err != nil {
		return err
	}
	var next string
	err = tx.QueryRowContext(ctx, `SELECT id FROM scans WHERE upload_state = 'pending' AND id >= ? ORDER BY id LIMIT 1`, floor).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT coalesce(max(id), '') FROM scans`).Scan(&next)
	}
	if err != nil {
		return storeErr("move outbox floor", err)
	}
	if next <= floor {
		return nil
	}
	if _, err := tx.ExecContext(ctx, setFloor, next); err != nil {
		return storeErr("move outbox floor", err)
	}
	return nil
}

// UnackedAlerts returns the collector ids of stored alerts the collector has
// not been told about yet.
func (d *DB) UnackedAlerts(ctx context.Context) ([]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT hub_id FROM alerts WHERE acked = 0 ORDER BY hub_id LIMIT 1000`)
	if err != nil {
		return nil, storeErr("read alerts", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, storeErr("read alerts", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// OutboxStats counts the backlog.
func (d *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	var oldest sql.NullString
	floor, err := uploadFloor(ctx, d.db)
	if err != nil {
		return OutboxStats{}, err
	}
	err = d.db.QueryRowContext(ctx, `SELECT count(*), (SELECT at FROM scans WHERE upload_state = 'pending' AND id >= ?1 ORDER BY id LIMIT 1)
		FROM scans WHERE upload_state = 'pending' AND id >= ?1`, floor).Scan(&s.Records, &oldest)
	if err != nil {
		return OutboxStats{}, storeErr("outbox stats", err)
	}
	if oldest.Valid {
		if s.Oldest, err = time.Parse(time.RFC3339Nano, oldest.String); err != nil {
			return OutboxStats{}, fmt.Errorf("outbox stats: bad time %q: %w", oldest.String, mark.ErrInvalid)
		}
	}
	// A literal, not a parameter: the planner uses the partial index
	// scans_upload_refused (migration 041) only for this very condition.
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE upload_state = 'refused'`).
		Scan(&s.Refused); err != nil {
		return OutboxStats{}, storeErr("outbox stats", err)
	}
	cursor, err := d.eventCursor(ctx, d.db)
	if err != nil {
		return OutboxStats{}, err
	}
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE id > ? AND action IN (?, ?)`,
		cursor, UploadActions[0], UploadActions[1]).Scan(&s.Events); err != nil {
		return OutboxStats{}, storeErr("outbox stats", err)
	}
	return s, nil
}

// ListAlerts returns reuse alerts newest first, and how many there are.
func (d *DB) ListAlerts(ctx context.Context, limit, offset int) ([]mark.ReuseAlert, int, error) {
	var total int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts`).Scan(&total); err != nil {
		return nil, 0, storeErr("count alerts", err)
	}
	if limit <= 0 {
		limit = 100
	}
	out, err := d.queryAlerts(ctx, `ORDER BY id DESC LIMIT ? OFFSET ?`, limit, max(offset, 0))
	return out, total, err
}

// AlertsFor returns the reuse alerts about one record of this counter.
func (d *DB) AlertsFor(ctx context.Context, recordID string) ([]mark.ReuseAlert, error) {
	return d.queryAlerts(ctx, `WHERE record_id = ? ORDER BY id`, recordID)
}

func (d *DB) queryAlerts(ctx context.Context, tail string, args ...any) ([]mark.ReuseAlert, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT hub_id, record_id, serial, other_record_id, other_terminal, other_office,
		other_counter, other_at, detected_at FROM alerts `+tail, args...)
	if err != nil {
		return nil, storeErr("read alerts", err)
	}
	defer rows.Close()
	var out []mark.ReuseAlert
	for rows.Next() {
		var a mark.ReuseAlert
		var serial int64
		var otherAt, detected string
		if err := rows.Scan(&a.ID, &a.RecordID, &serial, &a.Other.RecordID, &a.OtherTerminal, &a.Other.Office,
			&a.Other.Counter, &otherAt, &detected); err != nil {
			return nil, storeErr("read alerts", err)
		}
		a.Serial = uint64(serial)
		a.Other.At, _ = time.Parse(time.RFC3339Nano, otherAt)
		a.Detected, _ = time.Parse(time.RFC3339Nano, detected)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read alerts", err)
	}
	return out, nil
}

// SyncState reads one sync_state value; ok is false when it is not set.
func (d *DB) SyncState(ctx context.Context, key string) (value string, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, storeErr("read sync_state", err)
	}
	return value, true, nil
}

// SetSyncState writes one sync_state value.
func (d *DB) SetSyncState(ctx context.Context, key, value string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
		if err != nil {
			return storeErr("write sync_state", err)
		}
		return nil
	})
}

// RefuseUpload sets a record the collector refused as invalid aside
// (upload_state 'refused'), so the records after it can go, and keeps the
// collector's answer r for the page of set-aside records.
func (d *DB) RefuseUpload(ctx context.Context, id string, r Refusal) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scans SET upload_state = ? WHERE id = ? AND upload_state = 'pending'`,
			string(mark.UploadRefused), id)
		if err != nil {
			return storeErr("refuse upload", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return d.setAside(ctx, tx, SetAsideRecord, id, r)
	})
}

// SkipEvent moves the event cursor past one review event the collector
// refused as invalid (it stays in the audit table) and keeps the
// collector's answer r for the page of set-aside records.
func (d *DB) SkipEvent(ctx context.Context, id int64, r Refusal) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value
			WHERE CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
			StateEventCursor, strconv.FormatInt(id, 10)); err != nil {
			return storeErr("advance event cursor", err)
		}
		return d.setAside(ctx, tx, SetAsideEvent, strconv.FormatInt(id, 10), r)
	})
}
