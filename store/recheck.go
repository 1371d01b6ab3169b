package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// The crash window of the signature gate (gate.go): a commit's frames are
// durable when its fsync returns, and a refused one is made invalid only
// after that. A crash between the two leaves a row whose signature never
// held, and WAL recovery brings it back at the next open. The scan writer
// therefore writes, inside every checkWatermarkEvery-th checked scan's
// transaction, a watermark in sync_state: the highest scan row committed
// before it, all of which passed their checks. At open the daemon reads
// the rows above it (UncheckedScans), checks their signatures again,
// corrects those that fail (CorrectBadSignature) and moves the watermark
// to the top (SetCheckWatermark); from then on this DB writes watermarks.

// checkWatermarkKey is the watermark's key in sync_state: a scans rowid.
const checkWatermarkKey = "signature_checked_rowid"

// checkWatermarkEvery is how many checked scans pass between two
// watermark writes (one more page in that scan's commit).
const checkWatermarkEvery = 64

// ActionSignatureRecheck is the audit action of a row corrected at open:
// its signature, checked after the commit, did not hold.
const ActionSignatureRecheck = "signature_recheck"

// watermarkQuery moves the watermark to the highest scan row so far (run
// before the scan's own insert).
const watermarkQuery = `INSERT INTO sync_state(key, value) VALUES (?1, (SELECT coalesce(max(rowid), 0) FROM scans))
	ON CONFLICT(key) DO UPDATE SET value = excluded.value`

// UncheckedScan is a stored scan above the watermark whose verdict came
// from a decoded mark: its signature may not have been checked.
type UncheckedScan struct {
	ID   string
	Text string
}

// UncheckedScans returns the scans above the watermark that carry a
// decoded mark (a verdict that depended on the signature), oldest first,
// and the highest scan row now (for SetCheckWatermark). A store without a
// watermark (made before the gate, whose scans were all checked before
// their commit) has none.
func (d *DB) UncheckedScans(ctx context.Context) ([]UncheckedScan, int64, error) {
	var top int64
	if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM scans`).Scan(&top); err != nil {
		return nil, 0, storeErr("read scans top", err)
	}
	var wm string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, checkWatermarkKey).Scan(&wm)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, top, nil
	}
	if err != nil {
		return nil, 0, storeErr("read check watermark", err)
	}
	from, err := strconv.ParseInt(wm, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("check watermark %q: %w", wm, err)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, raw_text FROM scans
		WHERE rowid > ? AND rowid <= ? AND mark_fields IS NOT NULL ORDER BY rowid`, from, top)
	if err != nil {
		return nil, 0, storeErr("read unchecked scans", err)
	}
	defer rows.Close()
	var out []UncheckedScan
	for rows.Next() {
		var u UncheckedScan
		if err := rows.Scan(&u.ID, &u.Text); err != nil {
			return nil, 0, storeErr("read unchecked scans", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, storeErr("read unchecked scans", err)
	}
	return out, top, nil
}

// CorrectBadSignature turns a stored scan whose signature does not hold
// into the record a plain verification gives (REJECT, BAD_SIGNATURE, no
// mark, pending review), releases its serial claim and appends an audit
// line, in one transaction.
func (d *DB) CorrectBadSignature(ctx context.Context, id string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		// By serial, before the row loses it: used_serials has no index
		// on record_id.
		if _, err := tx.ExecContext(ctx, `DELETE FROM used_serials
			WHERE serial = (SELECT serial FROM scans WHERE id = ?1) AND record_id = ?1`, id); err != nil {
			return storeErr("release serial", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE scans SET verdict = 'REJECT', reasons = '["BAD_SIGNATURE"]',
			serial = NULL, mark_fields = NULL, contract = NULL, mail_class = NULL, tariff_kop = NULL, first_accepted = NULL, message = '', review_state = 'pending' WHERE id = ?`, id)
		if err != nil {
			return storeErr("correct scan", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return storeErr("correct scan", err)
		} else if n != 1 {
			return fmt.Errorf("correct scan %s: %w", id, errNoScan)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: "markd", Action: ActionSignatureRecheck, RecordID: id,
			Detail: "the signature, checked again at start after a crash during the scan's commit, does not hold: REJECT BAD_SIGNATURE"})
	})
}

// errNoScan: the scan to correct is not there.
var errNoScan = errors.New("no such scan")

// SetCheckWatermark records that the scans up to row top had their
// signatures checked, and lets this DB's scan writer move the watermark on
// from now on.
func (d *DB) SetCheckWatermark(ctx context.Context, top int64) error {
	err := d.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, checkWatermarkKey, strconv.FormatInt(top, 10))
		if err != nil {
			return storeErr("write check watermark", err)
		}
		return nil
	})
	if err == nil {
		d.writer.watermarks.Store(true)
	}
	return err
}

// CheckWatermark returns the check watermark (a scans rowid) and whether
// the store has one.
func (d *DB) CheckWatermark(ctx context.Context) (int64, bool, error) {
	var wm string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, checkWatermarkKey).Scan(&wm)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, storeErr("read check watermark", err)
	}
	n, err := strconv.ParseInt(wm, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("check watermark %q: %w", wm, err)
	}
	return n, true, nil
}

// AdvanceCheckWatermark moves the watermark from row from over the n scan
// rows a writer that checked every signature before its commits (markd
// import) stored just above it, in one transaction, and reports whether
// it did. It leaves the watermark where it is when it is not at from or
// when the rows above it are not exactly n (another process stored scans
// meanwhile: those are for the daemon's recheck at its next start).
func (d *DB) AdvanceCheckWatermark(ctx context.Context, from, n int64) (moved bool, err error) {
	err = d.Write(ctx, func(tx *sql.Tx) error {
		var wm string
		err := tx.QueryRowContext(ctx, `SELECT value FROM sync_state WHERE key = ?`, checkWatermarkKey).Scan(&wm)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return storeErr("read check watermark", err)
		}
		if wm != strconv.FormatInt(from, 10) {
			return nil
		}
		// The rows above it are exactly the writer's n when the top row
		// is n above it: each of those n took a rowid above every row
		// there was (max(rowid) + 1: markd deletes no scan, so that is at
		// least from), so they fill the n rowids up to the top and leave
		// no room for another row. One b-tree descent instead of counting
		// the rows, which read every page of an import's rows (28 ms for
		// 40 000 from a cold cache, docs/notes/perf.md).
		var top int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM scans`).Scan(&top); err != nil {
			return storeErr("read scans top", err)
		}
		if top-from != n {
			return nil
		}
		if moved = true; n == 0 {
			return nil // nothing above it to pass over
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sync_state SET value = ? WHERE key = ?`,
			strconv.FormatInt(top, 10), checkWatermarkKey); err != nil {
			return storeErr("write check watermark", err)
		}
		return nil
	})
	return moved && err == nil, err
}
