package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"markd/mark"
)

// The scans' reads of the API and the pages: one record, a filtered page
// in time order with its cursor, and the conditions List and ListReview
// share.

// Get returns one record, or an error wrapping mark.ErrNotFound.
func (d *DB) Get(ctx context.Context, id string) (mark.Record, error) {
	return d.ReviewRecord(ctx, id)
}

// Filter selects records for List. Zero fields do not filter; several
// values of one field match any of them.
type Filter struct {
	Verdicts []mark.Verdict
	Reasons  []mark.Reason
	From, To time.Time // scan time in [From, To)
	Counter  string
	Operator string
	Contract uint32
	Review   []mark.ReviewState
	Cursor   string // from the previous page; "" = first page
	Limit    int    // 0 = DefaultLimit; at most MaxLimit
	Desc     bool   // newest first
}

// Page sizes of List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// List returns records matching f in time order (f.Desc: newest first) and
// the cursor of the next page ("" when this was the last).
func (d *DB) List(ctx context.Context, f Filter) ([]mark.Record, string, error) {
	q, args, limit, err := listQuery(f)
	if err != nil {
		return nil, "", err
	}
	out, err := d.queryRecords(ctx, "list scans", q, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(formatTime(last.At), last.ID)
	}
	return out, next, nil
}

// listQuery is the SELECT of List (one row more than the page, to tell
// whether there is a next one) and the page size.
func listQuery(f Filter) (q string, args []any, limit int, err error) {
	var conds []string
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		conds = append(conds, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("verdict", strs(f.Verdicts))
	if len(f.Reasons) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM json_each(scans.reasons) WHERE json_each.value IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(f.Reasons)), ",")+`))`)
		for _, r := range f.Reasons {
			args = append(args, string(r))
		}
	}
	c, a := scopeConds(f.From, f.To, f.Counter, f.Operator, f.Contract)
	conds, args = append(conds, c...), append(args, a...)
	if len(f.Review) == 1 && f.Review[0] == mark.ReviewPending {
		// A literal: the condition of the partial index scans_review_pending.
		conds = append(conds, `review_state = 'pending'`)
	} else {
		in("review_state", strs(f.Review))
	}
	if notAccept(f) {
		// Names the condition of the partial index scans_notaccept
		// (migration 040), so the planner may walk only those scans.
		conds = append(conds, `verdict <> 'ACCEPT'`)
	}
	op, order := ">", "ASC"
	if f.Desc {
		op, order = "<", "DESC"
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		conds = append(conds, `(at, id) `+op+` (?, ?)`)
		args = append(args, at, id)
	}
	limit = f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	q = `SELECT ` + recordColumns + ` FROM scans`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY at ` + order + `, id ` + order + ` LIMIT ?`
	return q, append(args, limit+1), limit, nil
}

// notAccept reports whether f matches no ACCEPT: it names verdicts and
// not ACCEPT, or reasons (an ACCEPT has none), or review states and not
// "none" (only rejections are reviewed).
func notAccept(f Filter) bool {
	switch {
	case len(f.Verdicts) > 0:
		return !slices.Contains(f.Verdicts, mark.Accept)
	case len(f.Reasons) > 0:
		return true
	case len(f.Review) > 0:
		return !slices.Contains(f.Review, mark.ReviewNone)
	}
	return false
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func encodeCursor(at, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at + "|" + id))
}

// decodeCursor parses a cursor of List; a damaged one is mark.ErrInvalid.
func decodeCursor(c string) (at, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", fmt.Errorf("cursor %q: %w", c, mark.ErrInvalid)
	}
	at, id, ok := strings.Cut(string(b), "|")
	if !ok || id == "" {
		return "", "", fmt.Errorf("cursor %q: %w", c, mark.ErrInvalid)
	}
	if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
		return "", "", fmt.Errorf("cursor %q: bad time: %w", c, mark.ErrInvalid)
	}
	return at, id, nil
}

// scopeConds are the conditions shared by List and ListReview: time range
// [from, to), counter, operator and contract (zero values mean any).
func scopeConds(from, to time.Time, counter, operator string, contract uint32) (conds []string, args []any) {
	if !from.IsZero() {
		conds = append(conds, `at >= ?`)
		args = append(args, formatTime(from))
	}
	if !to.IsZero() {
		conds = append(conds, `at < ?`)
		args = append(args, formatTime(to))
	}
	if counter != "" {
		conds = append(conds, `counter = ?`)
		args = append(args, counter)
	}
	if operator != "" {
		conds = append(conds, `operator = ?`)
		args = append(args, operator)
	}
	if contract != 0 {
		// contract is NULL in rows older than migration 060 (coalesce
		// stops at the first value: '' is never read as JSON)
		conds = append(conds, `coalesce(contract, json_extract(mark_fields, '$.contract')) = ?`)
		args = append(args, contract)
	}
	return conds, args
}
