package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"markd/mark"
)

// The event streams' reads (GET /events, the operator screen's stream):
// the scans stored after a given one, in the order they were committed.
//
// The order is the scans table's rowid. SQLite has one writer at a time
// and a new row takes max(rowid)+1, so a row committed later has a higher
// rowid, and a reader that sees a row sees every row below it (markd
// deletes no scan: store/recheck.go's watermark relies on the same). The
// rowid is not the stream's event id: that stays the scan's own id (a
// UUIDv7, the id of GET /api/scans/{id}), which is the same in a copy of
// the store; the rowid is looked up from it.

// ScanSeq returns the position (rowid) of the stored scan id in the
// order scans were committed, or an error wrapping mark.ErrNotFound.
func (d *DB) ScanSeq(ctx context.Context, id string) (int64, error) {
	var seq int64
	err := d.db.QueryRowContext(ctx, scanSeqQuery, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("scan %q: %w", id, mark.ErrNotFound)
	}
	if err != nil {
		return 0, storeErr("scan position", err)
	}
	return seq, nil
}

// LastScanSeq returns the position of the newest committed scan (0: none).
func (d *DB) LastScanSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := d.db.QueryRowContext(ctx, lastSeqQuery).Scan(&seq); err != nil {
		return 0, storeErr("last scan position", err)
	}
	return seq, nil
}

// replayColumns is recordColumns without the camera frame (a JPEG the
// streams do not send): read on every verdict of every open stream.
var replayColumns = strings.Replace(recordColumns, "frame,", "NULL,", 1)

// The streams' queries: by the primary key, by the rowid.
const (
	scanSeqQuery  = `SELECT rowid FROM scans WHERE id = ?`
	lastSeqQuery  = `SELECT coalesce(max(rowid), 0) FROM scans`
	scansAfterEnd = ` FROM scans WHERE rowid > ? ORDER BY rowid LIMIT ?`
)

// ScansAfter returns up to limit scans committed after position seq, in
// commit order, and the position of the last one returned (seq when none).
// Their camera frames are not read.
func (d *DB) ScansAfter(ctx context.Context, seq int64, limit int) ([]mark.Record, int64, error) {
	if limit <= 0 {
		return nil, seq, fmt.Errorf("scans after %d: limit %d: %w", seq, limit, mark.ErrInvalid)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT rowid, `+replayColumns+scansAfterEnd, seq, limit)
	if err != nil {
		return nil, seq, storeErr("scans after", err)
	}
	defer rows.Close()
	var out []mark.Record
	last := seq
	for rows.Next() {
		r, err := reviewScanRecord(seqRow{rows, &last})
		if err != nil {
			return nil, seq, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, seq, storeErr("scans after", err)
	}
	return out, last, nil
}

// seqRow reads a row whose first column is the rowid before recordColumns.
type seqRow struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqRow) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dest...)...)
}
