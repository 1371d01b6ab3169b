package sqlrow

import (
	"errors"
	"testing"
	"time"

	"markd/mark"
)

func TestTimeScan(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	at := time.Date(2027, 3, 1, 12, 30, 0, 500, time.UTC)
	for _, c := range []struct {
		name  string
		src   any
		want  time.Time
		valid bool
		fails bool
	}{
		{name: "NULL", src: nil},
		{name: "timestamptz in another zone", src: at.In(moscow), want: at, valid: true},
		{name: "RFC 3339 text", src: "2027-03-01T12:30:00.0000005Z", want: at, valid: true},
		{name: "RFC 3339 bytes", src: []byte("2027-03-01T12:30:00.0000005Z"), want: at, valid: true},
		{name: "text that does not parse", src: "yesterday", valid: true},
		{name: "empty text", src: "", valid: true},
		{name: "a number", src: int64(5), fails: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Time{Time: time.Unix(1, 0), Valid: !c.valid}
			err := got.Scan(c.src)
			if c.fails {
				if err == nil {
					t.Fatalf("Scan(%v) = nil error, want one", c.src)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Time != c.want || got.Valid != c.valid {
				t.Errorf("Scan(%v) = %v %v, want %v %v", c.src, got.Time, got.Valid, c.want, c.valid)
			}
			var p time.Time
			if err := At(&p).Scan(c.src); err != nil || p != c.want {
				t.Errorf("At: %v %v, want %v", p, err, c.want)
			}
		})
	}
}

// scripted is a result of rows, each a function filling the scan's
// destinations, then err.
type scripted struct {
	rows []func(dst ...any) error
	err  error
}

func (s *scripted) Next() bool            { return len(s.rows) > 0 }
func (s *scripted) Err() error            { return s.err }
func (s *scripted) Scan(dst ...any) error { f := s.rows[0]; s.rows = s.rows[1:]; return f(dst...) }

func TestAll(t *testing.T) {
	one := func(n int64) func(dst ...any) error {
		return func(dst ...any) error { *dst[0].(*int64) = n; return nil }
	}
	scan := func(row Scanner) (int64, error) {
		var n int64
		if err := row.Scan(&n); err != nil {
			return 0, err
		}
		if n < 0 {
			return 0, BadRow{mark.ErrInvalid}
		}
		return n, nil
	}
	driver := errors.New("connection reset")
	for _, c := range []struct {
		name        string
		rows        *scripted
		want        []int64
		unavailable bool
		is          error
	}{
		{name: "rows", rows: &scripted{rows: []func(...any) error{one(1), one(2)}}, want: []int64{1, 2}},
		{name: "none", rows: &scripted{}},
		{name: "a row that does not read", rows: &scripted{rows: []func(...any) error{one(1), func(...any) error { return driver }}},
			unavailable: true, is: driver},
		{name: "the result fails", rows: &scripted{rows: []func(...any) error{one(1)}, err: driver}, unavailable: true, is: driver},
		{name: "a bad row", rows: &scripted{rows: []func(...any) error{one(-1)}}, is: mark.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := All(c.rows, "test rows", scan)
			if c.is == nil {
				if err != nil || len(got) != len(c.want) {
					t.Fatalf("All = %v, %v; want %v", got, err, c.want)
				}
				for i := range got {
					if got[i] != c.want[i] {
						t.Fatalf("All = %v; want %v", got, c.want)
					}
				}
				return
			}
			if got != nil || !errors.Is(err, c.is) || errors.Is(err, mark.ErrUnavailable) != c.unavailable {
				t.Fatalf("All = %v, %v; want nil and %v (unavailable %v)", got, err, c.is, c.unavailable)
			}
		})
	}
}

func TestEachStopsAtFn(t *testing.T) {
	one := func(n int64) func(dst ...any) error {
		return func(dst ...any) error { *dst[0].(*int64) = n; return nil }
	}
	rows := &scripted{rows: []func(...any) error{one(1), one(2), one(3)}}
	stop := errors.New("client gone")
	var seen []int64
	err := Each(rows, "test rows", func(row Scanner) (int64, error) {
		var n int64
		return n, row.Scan(&n)
	}, func(n int64) error {
		seen = append(seen, n)
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(seen) != 2 || len(rows.rows) != 1 {
		t.Fatalf("Each = %v after %v (%d rows left), want the fn's error as it is after 1, 2", err, seen, len(rows.rows))
	}
}

// pgxLike and sqlLike are scripted results closed the way each driver's
// are: pgx.Rows.Close returns nothing, (*sql.Rows).Close an error.
type pgxLike struct {
	scripted
	closed bool
}

func (r *pgxLike) Close() { r.closed = true }

type sqlLike struct {
	scripted
	closed bool
}

func (r *sqlLike) Close() error { r.closed = true; return nil }

func TestReadClosesAndFailsTheQuery(t *testing.T) {
	row := func(dst ...any) error { *dst[0].(*int64) = 7; return nil }
	scan := func(r Scanner) (int64, error) {
		var n int64
		return n, r.Scan(&n)
	}
	pg := &pgxLike{scripted: scripted{rows: []func(...any) error{row}}}
	if got, err := Read(pg, nil, "test rows", scan); err != nil || len(got) != 1 || got[0] != 7 || !pg.closed {
		t.Fatalf("pgx-like: %v, %v, closed %v; want [7], nil, closed", got, err, pg.closed)
	}
	sq := &sqlLike{scripted: scripted{rows: []func(...any) error{row}}}
	if got, err := Read(sq, nil, "test rows", scan); err != nil || len(got) != 1 || !sq.closed {
		t.Fatalf("sql-like: %v, %v, closed %v; want [7], nil, closed", got, err, sq.closed)
	}
	refused := errors.New("connection refused")
	var none *sqlLike // database/sql's rows when Query failed
	got, err := Read(none, refused, "test rows", scan)
	if got != nil || !errors.Is(err, refused) || !errors.Is(err, mark.ErrUnavailable) {
		t.Fatalf("failed query: %v, %v; want nil and unavailable: connection refused", got, err)
	}
}
