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

// Set-aside records: what the collector refused as invalid (400 naming
// it, or 409 on a record id uploaded before with another content), kept
// here with when and the collector's answer (migration 066) so a
// supervisor sees them and, once the cause is mended on the collector's
// side, sends them again. A resend is one try: refused again, it is set
// aside again.

// SetAsideKind is what was set aside.
type SetAsideKind string

const (
	SetAsideRecord SetAsideKind = "record" // a scan (scans.upload_state 'refused')
	SetAsideBatch  SetAsideKind = "batch"  // an ended batch (batches.upload_state 'refused')
	SetAsideEvent  SetAsideKind = "event"  // a review decision the event cursor skipped
)

// ActionResendRefused is the audit action of sending a set-aside record,
// batch or decision to the collector again.
const ActionResendRefused = "resend_refused"

// Refusal is the collector's answer that set something aside.
type Refusal struct {
	Status int    // HTTP status (400, 409)
	Field  string // the field it named: records[3].verdict
	Reason string // its error text as it came
}

// SetAside is one thing set aside, with what it is.
type SetAside struct {
	Seq       int64
	Kind      SetAsideKind
	Ref       string    // the record's or batch's id, the audit id of an event
	RefusedAt time.Time // counter clock; zero = set aside before migration 066 (not kept)
	Refusal
	Record *mark.Record // SetAsideRecord
	Batch  *mark.Batch  // SetAsideBatch
	Event  *AuditEntry  // SetAsideEvent
}

// setAside writes (or writes again) the row of one thing set aside.
func (d *DB) setAside(ctx context.Context, tx *sql.Tx, kind SetAsideKind, ref string, r Refusal) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO set_aside(kind, ref, refused_at, status, field, reason) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(kind, ref) DO UPDATE SET refused_at = excluded.refused_at, status = excluded.status,
		field = excluded.field, reason = excluded.reason`,
		string(kind), ref, d.Now().UTC().Format(time.RFC3339Nano), r.Status, r.Field, r.Reason); err != nil {
		return storeErr("keep what was set aside", err)
	}
	return nil
}

// SetAsideMaxPage bounds one page of ListSetAside.
const SetAsideMaxPage = 500

// ListSetAside returns up to limit things set aside, newest first, those
// with a seq below before (0 = from the newest): keyset pages that cost
// the page, not the store.
func (d *DB) ListSetAside(ctx context.Context, before int64, limit int) ([]SetAside, error) {
	if limit <= 0 || limit > SetAsideMaxPage {
		limit = SetAsideMaxPage
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.db.QueryContext(ctx, setAsidePageQuery, before, limit)
	if err != nil {
		return nil, storeErr("read set-aside records", err)
	}
	var out []SetAside
	for rows.Next() {
		var s SetAside
		var kind, at string
		if err := rows.Scan(&s.Seq, &kind, &s.Ref, &at, &s.Status, &s.Field, &s.Reason); err != nil {
			rows.Close()
			return nil, storeErr("read set-aside records", err)
		}
		s.Kind = SetAsideKind(kind)
		if at != "" {
			if s.RefusedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("set_aside %d: bad time %q: %w", s.Seq, at, mark.ErrInvalid)
			}
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("read set-aside records", err)
	}
	for i := range out {
		if err := d.fillSetAside(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const setAsidePageQuery = `SELECT seq, kind, ref, refused_at, status, field, reason FROM set_aside
	WHERE seq < ? ORDER BY seq DESC LIMIT ?`

// fillSetAside reads what one row names, by its primary key. A thing gone
// since (none are deleted today) stays with only its id.
func (d *DB) fillSetAside(ctx context.Context, s *SetAside) error {
	switch s.Kind {
	case SetAsideRecord:
		r, err := d.Get(ctx, s.Ref)
		if errors.Is(err, mark.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		s.Record = &r
	case SetAsideBatch:
		b, err := d.GetBatch(ctx, s.Ref)
		if errors.Is(err, mark.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		s.Batch = &b
	case SetAsideEvent:
		id, err := strconv.ParseInt(s.Ref, 10, 64)
		if err != nil {
			return fmt.Errorf("set_aside %d: event %q is not an audit id: %w", s.Seq, s.Ref, mark.ErrInvalid)
		}
		es, err := d.queryAudit(ctx, `WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if len(es) == 1 {
			s.Event = &es[0]
		}
	}
	return nil
}

// CountSetAside counts what is set aside now.
func (d *DB) CountSetAside(ctx context.Context) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM set_aside`).Scan(&n); err != nil {
		return 0, storeErr("count set-aside records", err)
	}
	return n, nil
}

// ResendSetAside puts set-aside things back in the outbox, in one
// transaction, with an audit line each naming actor: the one with seq
// (ErrNotFound when it is no longer set aside), or all of them when seq
// is 0. A record or batch becomes pending again; a decision is written
// again in the audit under a new id (the event cursor is past the old
// one). They go at the next upload; refused again, they are set aside
// again. It returns how many were put back.
func (d *DB) ResendSetAside(ctx context.Context, actor string, seq int64) (int, error) {
	n := 0
	err := d.Write(ctx, func(tx *sql.Tx) error {
		q, args := `SELECT seq, kind, ref, refused_at, status, field, reason FROM set_aside ORDER BY seq`, []any(nil)
		if seq != 0 {
			q, args = `SELECT seq, kind, ref, refused_at, status, field, reason FROM set_aside WHERE seq = ?`, []any{seq}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return storeErr("read set-aside records", err)
		}
		var todo []SetAside
		for rows.Next() {
			var s SetAside
			var kind, at string
			if err := rows.Scan(&s.Seq, &kind, &s.Ref, &at, &s.Status, &s.Field, &s.Reason); err != nil {
				rows.Close()
				return storeErr("read set-aside records", err)
			}
			s.Kind = SetAsideKind(kind)
			todo = append(todo, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storeErr("read set-aside records", err)
		}
		if seq != 0 && len(todo) == 0 {
			return fmt.Errorf("set-aside record %d: %w", seq, mark.ErrNotFound)
		}
		now := d.Now()
		for _, s := range todo {
			recordID, err := resendOne(ctx, tx, s, actor)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM set_aside WHERE seq = ?`, s.Seq); err != nil {
				return storeErr("resend set-aside record", err)
			}
			detail := fmt.Sprintf("%s %s sent again", s.Kind, s.Ref)
			if s.Field != "" || s.Reason != "" {
				detail += fmt.Sprintf(" (refused on %s: %s)", s.Field, s.Reason)
			}
			if err := appendAudit(ctx, tx, AuditEntry{At: now, Actor: actor, Action: ActionResendRefused,
				RecordID: recordID, Detail: detail}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// resendOne puts one thing back in the outbox and returns the record id
// its audit line names.
func resendOne(ctx context.Context, tx *sql.Tx, s SetAside, actor string) (string, error) {
	switch s.Kind {
	case SetAsideRecord:
		// The triggers of migration 043 move the outbox floor down to it.
		if _, err := tx.ExecContext(ctx, `UPDATE scans SET upload_state = 'pending' WHERE id = ? AND upload_state = 'refused'`,
			s.Ref); err != nil {
			return "", storeErr("resend set-aside record", err)
		}
		return s.Ref, nil
	case SetAsideBatch:
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET upload_state = 'pending' WHERE id = ? AND upload_state = 'refused'`,
			s.Ref); err != nil {
			return "", storeErr("resend set-aside batch", err)
		}
		return "", nil
	case SetAsideEvent:
		var e AuditEntry
		var at string
		err := tx.QueryRowContext(ctx, `SELECT at, actor, action, record_id, note, detail FROM audit WHERE id = ?`, s.Ref).
			Scan(&at, &e.Actor, &e.Action, &e.RecordID, &e.Note, &e.Detail)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil // nothing left to send
		}
		if err != nil {
			return "", storeErr("read audit", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return "", fmt.Errorf("audit %s: bad time %q: %w", s.Ref, at, mark.ErrInvalid)
		}
		e.Detail = strings.TrimSpace(e.Detail + fmt.Sprintf(" (sent again by %s: the collector refused audit id %s)", actor, s.Ref))
		if err := appendAudit(ctx, tx, e); err != nil {
			return "", err
		}
		return e.RecordID, nil
	}
	return "", fmt.Errorf("set_aside %d: unknown kind %q: %w", s.Seq, s.Kind, mark.ErrInvalid)
}
