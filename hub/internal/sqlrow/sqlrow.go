// Package sqlrow reads the collector's rows for both of its backends
// (hub/pgstore on pgx, hub/sqlitestore on database/sql): the loop over a
// result, the scan destinations that take either driver's value, and
// the row scans the two backends share. What differs stays in each
// backend: the SQL text, its placeholders, and the dialect's errors.
package sqlrow

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/hub"
)

// Scanner is one row of either driver: pgx.Row, pgx.Rows, *sql.Row or
// *sql.Rows.
type Scanner interface{ Scan(dst ...any) error }

// Rows is a result of either driver (pgx.Rows, *sql.Rows); its caller
// closes it.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// All reads every row of rows with scan. A row that does not read, and a
// result that fails part way, are hub.Unavailable(what, …); a BadRow is
// returned as what it holds.
func All[T any](rows Rows, what string, scan func(Scanner) (T, error)) ([]T, error) {
	return Append(nil, rows, what, scan)
}

// BadRow is the error of a row scan that read the row and found what it
// holds wrong (a column that does not decode): Fail returns Err as it
// is, not as the database failing.
type BadRow struct{ Err error }

func (e BadRow) Error() string { return e.Err.Error() }
func (e BadRow) Unwrap() error { return e.Err }

// Fail is the error of a read that failed doing op: what a BadRow holds,
// or else hub.Unavailable(op, err).
func Fail(op string, err error) error {
	if b, ok := errors.AsType[BadRow](err); ok {
		return b.Err
	}
	return hub.Unavailable(op, err)
}

// One is the error of a read of one row that failed with err (not nil):
// no row is notFound (pgx.ErrNoRows wraps sql.ErrNoRows, so one test
// serves both drivers), a BadRow what it holds, else
// hub.Unavailable(op, err).
func One(err error, op string, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return Fail(op, err)
}

// Read is All of a query's result, rows and err as the driver's Query
// returned them: a query that failed is hub.Unavailable(what, err) as
// well. Read closes rows.
func Read[T any](rows Rows, err error, what string, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, hub.Unavailable(what, err)
	}
	defer closeRows(rows)
	return All(rows, what, scan)
}

// closeRows closes a result of either driver: pgx.Rows.Close returns
// nothing, and the error of (*sql.Rows).Close is left unread, as the
// backends' `defer rows.Close()` always left it.
func closeRows(rows Rows) {
	switch r := rows.(type) {
	case interface{ Close() }:
		r.Close()
	case interface{ Close() error }:
		_ = r.Close()
	}
}

// Append is All appending to out.
func Append[T any](out []T, rows Rows, what string, scan func(Scanner) (T, error)) ([]T, error) {
	err := Each(rows, what, scan, func(v T) error {
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each calls fn with every row of rows read by scan, failing as All
// does; an error of fn ends it and is returned as it is.
func Each[T any](rows Rows, what string, scan func(Scanner) (T, error), fn func(T) error) error {
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return Fail(what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return hub.Unavailable(what, err)
	}
	return nil
}

// ScanFunc is a Scanner made of a function: a row scan reads its own
// columns and then more (a scan of a wider row).
type ScanFunc func(dst ...any) error

// Scan implements Scanner.
func (f ScanFunc) Scan(dst ...any) error { return f(dst...) }

// Then is a Scanner of row that scans, after the caller's columns, the
// columns more.
func Then(row Scanner, more ...any) Scanner {
	return ScanFunc(func(dst ...any) error { return row.Scan(append(dst, more...)...) })
}

// Time is a scan destination for a time column of either backend: a
// PostgreSQL timestamptz (kept in UTC) or SQLite's RFC 3339 text (a text
// that does not parse reads as the zero time, as the SQLite backend has
// always read it). NULL reads as the zero time, not Valid.
type Time struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner (both drivers call it).
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{Time: v.UTC(), Valid: true}
	case string:
		at, _ := time.Parse(time.RFC3339Nano, v)
		*t = Time{Time: at, Valid: true}
	case []byte:
		at, _ := time.Parse(time.RFC3339Nano, string(v))
		*t = Time{Time: at, Valid: true}
	default:
		return fmt.Errorf("time column: a %T, not a time", src)
	}
	return nil
}

// At is a scan destination writing a time column's value (the zero time
// for NULL) to p.
func At(p *time.Time) *AtDest { return &AtDest{p: p} }

// AtDest is At's destination.
type AtDest struct{ p *time.Time }

// Scan implements sql.Scanner.
func (d *AtDest) Scan(src any) error {
	var t Time
	if err := t.Scan(src); err != nil {
		return err
	}
	*d.p = t.Time
	return nil
}
