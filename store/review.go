package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"markd/mark"
)

// ReviewFilter selects rejected records for the supervisor pages. Zero
// fields do not filter.
type ReviewFilter struct {
	Reason   mark.Reason
	From, To time.Time // scan time in [From, To)
	Counter  string
	Operator string
	Contract uint32
	State    mark.ReviewState // pending, confirmed, overridden; "" = any
	Limit    int              // 0 = MaxReviewRows
	Offset   int
	// Questioned: only the rejections the collector questions, its
	// reviewer not having closed the question (collector_questions).
	Questioned bool
}

// MaxReviewRows bounds one listing (a page or a CSV export).
const MaxReviewRows = 100000

// ReviewCountLimit bounds the count of ListReview: beyond it the total is
// given as "at least" (ReviewPage.More), so a page costs the same at a
// million scans as at ten thousand.
const ReviewCountLimit = 1000

// ReviewPage is one page of rejected records and the total that matched.
type ReviewPage struct {
	Records []mark.Record
	Total   int  // how many matched, at most ReviewCountLimit
	More    bool // more than Total matched
}

const recordColumns = `id, at, office, counter, operator, source, raw_text, verdict, reasons, serial,
	mark_fields, measured_weight_g, first_accepted,
	CASE WHEN versions_id IS NULL THEN versions ELSE (SELECT lv.versions FROM list_versions lv WHERE lv.id = versions_id) END,
	message, frame, review_state, upload_state, batch_id`

// from is the table of f's queries: the pending ones are read through
// their partial index (the planner, without statistics, would otherwise
// walk every rejection for the count).
func (f ReviewFilter) from() string {
	if f.State == mark.ReviewPending {
		return ` FROM scans INDEXED BY scans_review_pending`
	}
	return ` FROM scans`
}

func (f ReviewFilter) where() (string, []any) {
	// The second term names the condition of the partial index
	// scans_notaccept (migration 040), so the planner may use it.
	conds := []string{`verdict = 'REJECT'`, `verdict <> 'ACCEPT'`}
	var args []any
	if f.Reason != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM json_each(scans.reasons) WHERE json_each.value = ?)`)
		args = append(args, string(f.Reason))
	}
	c, a := scopeConds(f.From, f.To, f.Counter, f.Operator, f.Contract)
	conds, args = append(conds, c...), append(args, a...)
	if f.Questioned {
		conds = append(conds, `id IN (SELECT record_id FROM collector_questions WHERE state = 'open')`)
	}
	switch f.State {
	case "":
	case mark.ReviewPending:
		// A literal: the condition of the partial index scans_review_pending.
		conds = append(conds, `review_state = 'pending'`)
	default:
		conds = append(conds, `review_state = ?`)
		args = append(args, string(f.State))
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListReview returns rejected records matching f, newest first.
func (d *DB) ListReview(ctx context.Context, f ReviewFilter) (ReviewPage, error) {
	where, args := f.where()
	var page ReviewPage
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+f.from()+where+` LIMIT ?)`,
		append(args, ReviewCountLimit+1)...).Scan(&page.Total); err != nil {
		return ReviewPage{}, storeErr("count review", err)
	}
	if page.Total > ReviewCountLimit {
		page.Total, page.More = ReviewCountLimit, true
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxReviewRows {
		limit = MaxReviewRows
	}
	recs, err := d.queryRecords(ctx, "list review", `SELECT `+recordColumns+f.from()+where+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return ReviewPage{}, err
	}
	page.Records = recs
	return page, nil
}

// EachReview calls fn with every rejected record matching f (Limit and
// Offset as in ListReview), newest first, while reading them: a CSV export
// streams instead of holding every row. An error of fn ends the walk and
// is returned.
func (d *DB) EachReview(ctx context.Context, f ReviewFilter, fn func(mark.Record) error) error {
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 || limit > MaxReviewRows {
		limit = MaxReviewRows
	}
	return d.eachRecord(ctx, "export review", `SELECT `+recordColumns+f.from()+where+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
		fn, append(args, limit, max(f.Offset, 0))...)
}

// queryRecords runs a SELECT of recordColumns and reads every row; op
// names the read in a store error.
func (d *DB) queryRecords(ctx context.Context, op, query string, args ...any) ([]mark.Record, error) {
	var out []mark.Record
	err := d.eachRecord(ctx, op, query, func(r mark.Record) error {
		out = append(out, r)
		return nil
	}, args...)
	return out, err
}

// eachRecord runs a SELECT of recordColumns and calls fn with each row.
func (d *DB) eachRecord(ctx context.Context, op, query string, fn func(mark.Record) error, args ...any) error {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return storeErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := reviewScanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return storeErr(op, err)
	}
	return nil
}

// ReviewRecord returns one record with every stored field, or mark.ErrNotFound.
func (d *DB) ReviewRecord(ctx context.Context, id string) (mark.Record, error) {
	r, err := reviewScanRecord(d.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM scans WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return mark.Record{}, fmt.Errorf("record %q: %w", id, mark.ErrNotFound)
	}
	return r, err
}

// LatestRecords returns the newest limit records of any verdict, newest
// first: the operator screen's list of recent scans.
func (d *DB) LatestRecords(ctx context.Context, limit int) ([]mark.Record, error) {
	return d.queryRecords(ctx, "latest records", `SELECT `+recordColumns+` FROM scans ORDER BY at DESC, id DESC LIMIT ?`, limit)
}

type rowScanner interface{ Scan(dest ...any) error }

func reviewScanRecord(row rowScanner) (mark.Record, error) {
	var (
		r                                     mark.Record
		at, verdict, reasons, versions, state string
		upload                                string
		serial                                sql.NullInt64
		fields, first, batch                  sql.NullString
	)
	err := row.Scan(&r.ID, &at, &r.Office, &r.Counter, &r.Operator, &r.Source, &r.Text, &verdict, &reasons,
		&serial, &fields, &r.MeasuredWeightG, &first, &versions, &r.Message, &r.Frame, &state, &upload, &batch)
	if errors.Is(err, sql.ErrNoRows) {
		return mark.Record{}, err
	}
	if err != nil {
		return mark.Record{}, storeErr("read record", err)
	}
	bad := func(col string, err error) error {
		return fmt.Errorf("record %s: column %s: %w: %v", r.ID, col, mark.ErrInvalid, err)
	}
	if r.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return mark.Record{}, bad("at", err)
	}
	r.Verdict, r.Review, r.Upload = mark.Verdict(verdict), mark.ReviewState(state), mark.UploadState(upload)
	r.Batch = batch.String
	if r.Verdict == mark.Reject && r.Review == mark.ReviewNone {
		r.Review = mark.ReviewPending
	}
	if reasons == "[]" { // most records: what Unmarshal makes of it, without it
		r.Reasons = []mark.Reason{}
	} else if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
		return mark.Record{}, bad("reasons", err)
	}
	if v, ok := mark.ParseVersionsJSON(versions); ok { // every scan read back for the upload
		r.Versions = v
	} else if versions != "" {
		if err := json.Unmarshal([]byte(versions), &r.Versions); err != nil {
			return mark.Record{}, bad("versions", err)
		}
	}
	var col string
	if r.Mark, col, err = markOfRow(fields, r.Text); err != nil {
		return mark.Record{}, bad(col, err)
	}
	if first.Valid && first.String != "" && first.String != "null" {
		var a mark.Acceptance
		if err := json.Unmarshal([]byte(first.String), &a); err != nil {
			return mark.Record{}, bad("first_accepted", err)
		}
		r.FirstAccepted = &a
	}
	return r, nil
}

// ConfirmRejection records a supervisor's confirmation of a rejection. The
// note is optional. A record that is not a pending rejection is ErrConflict.
func (d *DB) ConfirmRejection(ctx context.Context, id, actor, note string) error {
	return d.review(ctx, id, actor, note, ActionConfirm)
}

// OverrideAccept records a supervisor's decision to accept a rejected mark
// after all. The note (why) is required. In the same transaction the serial
// becomes used, so a later scan of it is REUSED; if another record already
// holds the serial, or the mark's signature never verified (no trusted
// serial), the override is refused with mark.ErrConflict. A scan of a
// batch is recorded as an override of its batch (BatchOverrides): counted
// in the batch when it is still open, a later decision when it ended.
func (d *DB) OverrideAccept(ctx context.Context, id, actor, note string) error {
	if strings.TrimSpace(note) == "" {
		return mark.WithHint(fmt.Errorf("override of %s: a note is required: %w", id, mark.ErrInvalid),
			"write why the mark is accepted after all")
	}
	return d.review(ctx, id, actor, note, ActionOverride)
}

func (d *DB) review(ctx context.Context, id, actor, note, action string) error {
	if actor == "" {
		return fmt.Errorf("review of %s: no actor: %w", id, mark.ErrInvalid)
	}
	return d.Write(ctx, func(tx *sql.Tx) error {
		now := d.Now() // the decision's one time: audit, batch, used serial
		var (
			verdict, state, at, counter, raw string
			office                           uint32
			serial                           sql.NullInt64
			batch                            sql.NullString
		)
		err := tx.QueryRowContext(ctx, `SELECT verdict, review_state, at, office, counter, raw_text, serial, batch_id FROM scans WHERE id = ?`, id).
			Scan(&verdict, &state, &at, &office, &counter, &raw, &serial, &batch)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record %q: %w", id, mark.ErrNotFound)
		}
		if err != nil {
			return storeErr("read record", err)
		}
		if mark.Verdict(verdict) != mark.Reject {
			return fmt.Errorf("record %s has verdict %s: only rejected marks are reviewed: %w", id, verdict, mark.ErrConflict)
		}
		switch mark.ReviewState(state) {
		case mark.ReviewOverridden:
			return mark.WithHint(fmt.Errorf("record %s was already overridden to accept: %w", id, mark.ErrConflict),
				"an override cannot be undone; see the audit lines")
		case mark.ReviewConfirmed:
			if action == ActionConfirm {
				return fmt.Errorf("record %s: rejection already confirmed: %w", id, mark.ErrConflict)
			}
		}
		newState := mark.ReviewConfirmed
		detail := ""
		if action == ActionOverride {
			newState = mark.ReviewOverridden
			if !serial.Valid {
				return mark.WithHint(fmt.Errorf("record %s: the signature did not verify, there is no trusted serial to accept: %w", id, mark.ErrConflict),
					"a mark that fails its signature check cannot be accepted")
			}
			var holder, heldAt, heldCounter string
			err := tx.QueryRowContext(ctx, `SELECT u.record_id, coalesce(u.accepted_at, s.at), s.counter FROM used_serials u JOIN scans s ON s.id = u.record_id
				WHERE u.serial = ?`, serial.Int64).
				Scan(&holder, &heldAt, &heldCounter)
			switch {
			case err == nil:
				return mark.WithHint(fmt.Errorf("serial %d is already used by record %s (accepted %s at counter %s): %w",
					serial.Int64, holder, heldAt, heldCounter, mark.ErrConflict),
					"the mark was accepted before; it cannot be accepted twice")
			case !errors.Is(err, sql.ErrNoRows):
				return storeErr("read used_serials", err)
			}
			// used from now on (§7): the first acceptance of this serial,
			// and its re-scan window, run from the override
			if _, err := tx.ExecContext(ctx, `INSERT INTO used_serials(serial, record_id, accepted_at) VALUES (?, ?, ?)`,
				serial.Int64, id, formatTime(now)); err != nil {
				return storeErr("insert used_serials", err)
			}
			detail = fmt.Sprintf("serial %d now counts as used", serial.Int64)
			if batch.Valid && batch.String != "" {
				if err := recordBatchOverride(ctx, tx, id, batch.String, actor, now); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scans SET review_state = ? WHERE id = ?`, string(newState), id); err != nil {
			return storeErr("update review_state", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: now, Actor: actor, Action: action, RecordID: id, Note: note, Detail: detail})
	})
}
