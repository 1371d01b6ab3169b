package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"markd/mark"
)

// BatchOverride is a supervisor's override to accept of a rejected scan of
// a batch (MARK-FORMAT §7: the mark then counts as accepted).
type BatchOverride struct {
	RecordID string
	Actor    string // the supervisor, as the audit names them
	At       time.Time
	// InBatch: the batch was open when the supervisor decided, so the
	// scan counts as accepted in the batch (totals, reconciliation,
	// receipt); otherwise the batch had ended and its receipt stands.
	InBatch bool
	Serial  uint64 // of the scan's verified mark (an override needs one)
}

// recordBatchOverride is the batch part of an override, in its
// transaction: whether the batch is still open decides whether the scan
// counts in it.
func recordBatchOverride(ctx context.Context, tx *sql.Tx, recordID, batchID, actor string, at time.Time) error {
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM batches WHERE id = ?`, batchID).Scan(&state); err != nil {
		return storeErr("read batch of override", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO batch_overrides(record_id, batch_id, at, actor, in_batch) VALUES (?, ?, ?, ?, ?)`,
		recordID, batchID, formatTime(at), actor, mark.BatchState(state) == mark.BatchOpen); err != nil {
		return storeErr("record batch override", err)
	}
	return nil
}

// BatchOverrides returns the overrides to accept of a batch's scans in the
// order they were decided.
func (d *DB) BatchOverrides(ctx context.Context, batchID string) ([]BatchOverride, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT o.record_id, o.actor, o.at, o.in_batch, coalesce(s.serial, 0)
		FROM batch_overrides o JOIN scans s ON s.id = o.record_id
		WHERE o.batch_id = ? ORDER BY o.at, o.record_id`, batchID)
	if err != nil {
		return nil, storeErr("read batch overrides", err)
	}
	defer rows.Close()
	var out []BatchOverride
	for rows.Next() {
		var o BatchOverride
		var at string
		var serial int64
		if err := rows.Scan(&o.RecordID, &o.Actor, &at, &o.InBatch, &serial); err != nil {
			return nil, storeErr("read batch overrides", err)
		}
		if o.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("override of record %s: bad at %q: %w", o.RecordID, at, mark.ErrInvalid)
		}
		o.Serial = uint64(serial)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read batch overrides", err)
	}
	return out, nil
}
