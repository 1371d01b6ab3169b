package store

import (
	"context"
)

// BatchLog reads how far the audit log goes and its newest line of a
// batch action (opened, list loaded or replaced, closed, cancelled) after
// the line after: the operator screen learns so, within its heartbeat,
// what another process did to the counter's batch (markd batch expect,
// another daemon's API) without reading the batch itself. Both reads are
// cheap: the newest id is the end of the audit's key, and only the lines
// after after are looked at.
//
// upto is the newest audit id (the next call's after); last is the newest
// batch line's id in (after, upto], or 0 when there is none.
func (d *DB) BatchLog(ctx context.Context, after int64) (last, upto int64, err error) {
	if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM audit`).Scan(&upto); err != nil {
		return 0, after, storeErr("read audit end", err)
	}
	if upto <= after {
		return 0, upto, nil
	}
	err = d.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM audit WHERE id > ? AND id <= ? AND action IN (?, ?, ?, ?)`,
		after, upto, ActionBatchOpen, ActionBatchList, ActionBatchClose, ActionBatchCancel).Scan(&last)
	if err != nil {
		return 0, after, storeErr("read batch audit", err)
	}
	return last, upto, nil
}
