package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"markd/mark"
)

// EachReviewQuestion is EachReview with the collector's question on each
// record (nil: none), read in the same query: the CSV export of the
// rejected marks gives the question's columns without a read a row.
func (d *DB) EachReviewQuestion(ctx context.Context, f ReviewFilter, fn func(mark.Record, *CollectorQuestion) error) error {
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 || limit > MaxReviewRows {
		limit = MaxReviewRows
	}
	// One column, NULL without a question: a lookup by the primary key
	// inside SQLite, and JSON only for the questioned rows.
	const question = `(SELECT json_array(cq.reasons, cq.why, cq.state, coalesce(cq.reviewed_at, ''), cq.seq, cq.received_at,
		cq.review_by, cq.review_note) FROM collector_questions cq WHERE cq.record_id = scans.id)`
	const op = "export review"
	rows, err := d.db.QueryContext(ctx, `SELECT `+recordColumns+`, `+question+f.from()+where+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return storeErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var col sql.NullString
		r, err := reviewScanRecord(withExtra{rows, &col})
		if err != nil {
			return err
		}
		var q *CollectorQuestion
		if col.Valid {
			if q, err = questionOfColumn(r.ID, col.String); err != nil {
				return err
			}
		}
		if err := fn(r, q); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return storeErr(op, err)
	}
	return nil
}

// withExtra scans the record's columns and then extra.
type withExtra struct {
	rows  *sql.Rows
	extra any
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra)...) }

// questionOfColumn decodes the JSON array EachReviewQuestion reads.
func questionOfColumn(id, col string) (*CollectorQuestion, error) {
	var parts []json.RawMessage
	bad := func(err error) error {
		return fmt.Errorf("collector question on %s: %w: %v", id, mark.ErrInvalid, err)
	}
	if err := json.Unmarshal([]byte(col), &parts); err != nil {
		return nil, bad(err)
	}
	if len(parts) != 8 {
		return nil, bad(fmt.Errorf("%d fields, want 8", len(parts)))
	}
	q := &CollectorQuestion{RecordID: id}
	var reasons, reviewed, received string
	for i, dst := range []any{&reasons, &q.Why, &q.State, &reviewed, &q.Seq, &received, &q.ReviewBy, &q.ReviewNote} {
		if err := json.Unmarshal(parts[i], dst); err != nil {
			return nil, bad(err)
		}
	}
	if err := json.Unmarshal([]byte(reasons), &q.Reasons); err != nil {
		return nil, bad(err)
	}
	if reviewed != "" {
		q.ReviewedAt, _ = time.Parse(time.RFC3339Nano, reviewed)
	}
	q.ReceivedAt, _ = time.Parse(time.RFC3339Nano, received)
	return q, nil
}
