package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/mark"
)

// RequestKeyTTL is how long an Idempotency-Key of the API is remembered:
// a retry comes seconds after its timeout; a day covers a cash desk that
// sends its queue again the next morning.
const RequestKeyTTL = 24 * time.Hour

// APIRequest is a remembered request of the API: the scan it recorded.
type APIRequest struct {
	Fingerprint string // of the request's fields, to tell another request under the same key
	RecordID    string
}

// LookupRequest returns the request remembered under (actor, key), or
// mark.ErrNotFound (none, or older than RequestKeyTTL).
func (d *DB) LookupRequest(ctx context.Context, actor, key string) (APIRequest, error) {
	var r APIRequest
	err := d.db.QueryRowContext(ctx, `SELECT request, record_id FROM api_requests WHERE actor = ? AND key = ? AND at >= ?`,
		actor, key, formatTime(d.Now().Add(-RequestKeyTTL))).Scan(&r.Fingerprint, &r.RecordID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("request %q of %s: %w", key, actor, mark.ErrNotFound)
	}
	if err != nil {
		return r, storeErr("read request key", err)
	}
	return r, nil
}

// rememberRequests keeps the request keys of the scans of a transaction
// (mark.Record.Request) with their records, in that transaction, so a
// scan and its key are committed together or not at all; expired keys
// are forgotten on the way. Only scans a program sent with a key have one.
func (w *scanWriter) rememberRequests(ctx context.Context, now time.Time, recs []mark.Record) error {
	forgot := false
	for i := range recs {
		q := recs[i].Request
		if q == nil {
			continue
		}
		if !forgot {
			if _, err := w.conn.ExecContext(ctx, `DELETE FROM api_requests WHERE at < ?`, formatTime(now.Add(-RequestKeyTTL))); err != nil {
				return storeErr("forget request keys", err)
			}
			forgot = true
		}
		if _, err := w.conn.ExecContext(ctx, `INSERT OR REPLACE INTO api_requests(actor, key, request, record_id, at) VALUES (?, ?, ?, ?, ?)`,
			q.Actor, q.Key, q.Fingerprint, recs[i].ID, formatTime(now)); err != nil {
			return storeErr("remember request key", err)
		}
	}
	return nil
}
