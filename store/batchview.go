package store

import (
	"context"
	"strings"

	"markd/mark"
)

// BatchScansAfter is what the batch panel's kept reconciliation reads at
// a refresh (batch.Service): the scans of batch id stored after the scan
// with row number after (0: all; the largest row number of those read before), in BatchRecords' order, up to the row
// number Upto, and the number of scans of the batch up to it (Count, to
// notice scans that went). InOrder is false when one of them sorts before
// the last of those read before (a scan stamped earlier than one read before): the
// caller then reads the batch whole. Reads by the primary key and the
// batch's index, never the write path.
type BatchScansAfter struct {
	Records []mark.Record
	Upto    int64
	Count   int
	InOrder bool
}

// BatchScansSince reads the scans of batch id after row number after.
func (d *DB) BatchScansSince(ctx context.Context, id string, after int64) (BatchScansAfter, error) {
	out := BatchScansAfter{InOrder: true}
	if err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(rowid), 0) FROM scans WHERE batch_id = ?`, id).
		Scan(&out.Count, &out.Upto); err != nil {
		return out, storeErr("read batch scan count", err)
	}
	if out.Upto <= after {
		return out, nil
	}
	var err error
	if out.Records, err = d.queryRecords(ctx, "read new batch scans", `SELECT `+strings.Replace(recordColumns, "frame", "NULL", 1)+
		` FROM scans WHERE batch_id = ? AND rowid > ? AND rowid <= ? ORDER BY at, id`, id, after, out.Upto); err != nil {
		return out, err
	}
	if after == 0 {
		return out, nil
	}
	// The last of the scans read before, in BatchRecords' order (by the
	// batch's index): every new one must sort after it.
	var before int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM scans s,
		(SELECT at, id FROM scans WHERE batch_id = ?1 AND rowid <= ?2 ORDER BY at DESC, id DESC LIMIT 1) p
		WHERE s.batch_id = ?1 AND s.rowid > ?2 AND s.rowid <= ?3 AND (s.at < p.at OR (s.at = p.at AND s.id < p.id))`,
		id, after, out.Upto).Scan(&before); err != nil {
		return out, storeErr("read new batch scans", err)
	}
	out.InOrder = before == 0
	return out, nil
}
