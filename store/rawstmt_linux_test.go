//go:build cgo

package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/sqliteerr"
	"markd/mark"
)

// rawOn opens a file with one connection and a rawConn on it.
func rawOn(t *testing.T, dsn string) (*sql.DB, *sql.Conn, *rawConn) {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rc := rawConnOf(conn)
	if rc == nil {
		t.Fatal("no raw connection on a go-sqlite3 connection (has go-sqlite3 renamed its sqlite3 handle?)")
	}
	t.Cleanup(rc.close)
	return db, conn, rc
}

// TestRawStatements runs the raw path against what SQLite says: changes,
// rows, NULLs, blobs, and errors that carry SQLite's code as go-sqlite3's
// do (sqliteerr reads them), and arguments it cannot bind refused before
// anything is bound.
func TestRawStatements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.db")
	_, conn, rc := rawOn(t, "file:"+path+"?_journal_mode=WAL")
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB, n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	ins, err := rc.prepare(`INSERT INTO t(id, v, b, n) VALUES (?,?,?,?) ON CONFLICT(id) DO NOTHING`)
	if err != nil {
		t.Fatal(err)
	}
	defer ins.finalize()
	sel, err := rc.prepare(`SELECT v, n, b, id FROM t WHERE id = ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer sel.finalize()
	strict, err := rc.prepare(`INSERT INTO t(id, v) VALUES (?,?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.finalize()

	blob := []byte{0, 1, 2, 0xff}
	for _, c := range []struct {
		args    []any
		changes int
	}{
		{[]any{int64(1), "één", blob, 7}, 1},
		{[]any{int64(2), "", nil, nil}, 1},
		{[]any{int(3), "x", []byte(nil), uint32(4000000000)}, 1},
		{[]any{int64(1), "again", nil, nil}, 0}, // conflict: nothing changed
	} {
		n, row, err := ins.run(c.args...)
		if err != nil || row || n != c.changes {
			t.Errorf("insert %v: changes %d row %v err %v, want %d", c.args, n, row, err, c.changes)
		}
	}
	_, row, err := sel.run(int64(1))
	if err != nil || !row {
		t.Fatalf("select 1: row %v err %v", row, err)
	}
	if sel.colText(0) != "één" || sel.colInt(1) != 7 || !bytes.Equal([]byte(sel.colText(2)), blob) || sel.colInt(3) != 1 {
		t.Errorf("row 1: %q %d %q %d", sel.colText(0), sel.colInt(1), sel.colText(2), sel.colInt(3))
	}
	if _, row, err = sel.run(int64(3)); err != nil || !row || sel.colInt(1) != 4000000000 || sel.colText(2) != "" {
		t.Errorf("row 3: %v %v n=%d b=%q", row, err, sel.colInt(1), sel.colText(2))
	}
	if _, row, err = sel.run(int64(9)); err != nil || row {
		t.Errorf("no row 9: row %v err %v", row, err)
	}
	var v string
	if err := conn.QueryRowContext(ctx, `SELECT v FROM t WHERE id = 2`).Scan(&v); err != nil || v != "" {
		t.Errorf("row 2 through database/sql: %q %v", v, err)
	}

	if _, _, err := strict.run(int64(1), "dup"); sqliteerr.Of(err) != sqliteerr.Constraint {
		t.Errorf("duplicate key: %v (code %v), want SQLITE_CONSTRAINT", err, sqliteerr.Of(err))
	}
	if _, _, err := strict.run(int64(5), nil); sqliteerr.Of(err) != sqliteerr.Constraint || !strings.Contains(err.Error(), "NOT NULL") {
		t.Errorf("NULL into NOT NULL: %v, want SQLite's NOT NULL constraint error", err)
	}
	for _, args := range [][]any{
		{int64(6), 1.5}, // a type it does not bind
		{int64(6)},      // too few
		{int64(6), strings.Repeat("x", rawBuf+1)}, // past the buffer
	} {
		if _, _, err := strict.run(args...); !errors.Is(err, errRawArg) {
			t.Errorf("args %.40v: %v, want errRawArg", args, err)
		}
	}
	var count int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&count); err != nil || count != 3 {
		t.Errorf("%d rows (%v), want 3: a refused or failed run changed the table", count, err)
	}
}

// TestRawBeginBusy: another connection holds the write lock, so the raw
// BEGIN IMMEDIATE waits the busy timeout and fails with SQLITE_BUSY, as
// the store reports it (mark.ErrUnavailable, "locked by another program").
func TestRawBeginBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	oc, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if _, err := oc.ExecContext(ctx, `CREATE TABLE t (v); BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	_, _, rc := rawOn(t, "file:"+path+"?_journal_mode=WAL&_busy_timeout=50")
	begin, err := rc.prepare(`BEGIN IMMEDIATE`)
	if err != nil {
		t.Fatal(err)
	}
	defer begin.finalize()
	_, _, err = begin.run()
	if sqliteerr.Of(err) != sqliteerr.Busy {
		t.Fatalf("BEGIN beside another writer: %v, want SQLITE_BUSY", err)
	}
	if serr := storeErr("begin", err); !errors.Is(serr, mark.ErrUnavailable) {
		t.Errorf("store error %v is not ErrUnavailable", serr)
	}
	if _, err := oc.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := begin.run(); err != nil {
		t.Errorf("BEGIN once the other writer is gone: %v", err)
	}
}

// TestWriterUsesRawStatements: on Linux the writer's hot statements are
// raw, and every kind of scan a counter stores (accepted, reused,
// rejected without a mark, with a camera frame, inside a batch) binds
// without falling back; what is stored reads back as saved.
func TestWriterUsesRawStatements(t *testing.T) {
	db, _ := scOpen(t)
	ctx := context.Background()
	before := rawFallbacks.Load()
	first := scRec(1, "A", t0, mark.Accept)
	framed := scRec(2, "A", t0.Add(time.Second), mark.Accept)
	framed.Frame = []byte{0xff, 0xd8, 0, 1, 2}
	framed.MeasuredWeightG = 21
	noMark := &mark.Record{At: t0.Add(2 * time.Second), Office: 426000, Counter: "A", Source: "test",
		Text: "garbage", Verdict: mark.NotAMark, Reasons: []mark.Reason{}}
	reused := scRec(1, "B", t0.Add(3*time.Second), mark.Accept)
	for _, r := range []*mark.Record{first, framed, noMark, reused} {
		if err := db.Save(ctx, r, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if db.writer.raw == nil {
		t.Fatal("the writer has no raw statements on Linux")
	}
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Operator: "ivanova"})
	if err != nil {
		t.Fatal(err)
	}
	inBatch := scRec(3, "A", t0.Add(4*time.Second), mark.Accept)
	if err := db.Save(ctx, inBatch, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := rawFallbacks.Load() - before; n != 0 {
		t.Errorf("%d scans fell back to database/sql", n)
	}
	for _, c := range []struct {
		rec     *mark.Record
		verdict mark.Verdict
		batch   string
	}{
		{first, mark.Accept, ""}, {framed, mark.Accept, ""}, {noMark, mark.NotAMark, ""},
		{reused, mark.Reject, ""}, {inBatch, mark.Accept, b.ID},
	} {
		got, err := db.Get(ctx, c.rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Verdict != c.verdict || got.Batch != c.batch || got.Text != c.rec.Text ||
			!bytes.Equal(got.Frame, c.rec.Frame) || got.MeasuredWeightG != c.rec.MeasuredWeightG {
			t.Errorf("%s: stored %s batch %q text %q frame %x weight %d; saved %s batch %q text %q frame %x weight %d",
				c.rec.ID, got.Verdict, got.Batch, got.Text, got.Frame, got.MeasuredWeightG,
				c.verdict, c.batch, c.rec.Text, c.rec.Frame, c.rec.MeasuredWeightG)
		}
	}
}
