//go:build cgo

package store

/*
#include "sqliteraw.h"

static int bkReady(void) {
  return sqlite3_bind_null && sqlite3_bind_int64 && sqlite3_bind_text && sqlite3_bind_blob &&
    sqlite3_step && sqlite3_reset && sqlite3_clear_bindings && sqlite3_changes && sqlite3_extended_errcode;
}

// bkExec binds the n values (text and blobs not copied: buf is pinned for
// the call), runs the statement to its end and leaves it reset with no
// bindings, so nothing points into buf after the call. It returns 0 and
// the rows changed, or the error's code.
static int bkExec(sqlite3 *db, sqlite3_stmt *s, const rawVal *v, int n, const char *buf, long long *changes) {
  int rc = rawBind(s, v, n, buf);
  if (rc == 0) {
    rc = sqlite3_step(s);
    if (rc == 101) { // SQLITE_DONE
      *changes = sqlite3_changes(db);
      rc = 0;
    } else {
      rc = sqlite3_extended_errcode(db);
      if (rc == 0) rc = 1; // a row from an INSERT: not what was asked
    }
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// rawBulk holds the values of one bulk statement for SQLite's C API: the
// multi-row inserts of saveBulk bind ~1 300 values each (128 rows), and
// through database/sql and go-sqlite3 each was a driver.Value conversion
// and a cgo call; here the whole statement is one cgo call (bkExec).
type rawBulk struct {
	vals []C.rawVal
	buf  []byte
}

// rawBulkReady reports whether the raw bulk calls are linked in.
func rawBulkReady() bool { return C.bkReady() != 0 }

// exec binds args to s, runs it and returns the rows it changed; an
// argument of another type than the writer's gives errRawArg before
// anything is bound.
func (b *rawBulk) exec(s *rawStmt, args []any) (int64, error) {
	if len(args) != s.n {
		return 0, fmt.Errorf("raw bulk statement: %d arguments for %d parameters: %w", len(args), s.n, errRawArg)
	}
	if cap(b.vals) < len(args) {
		b.vals = make([]C.rawVal, len(args))
	}
	vals, buf := b.vals[:len(args)], b.buf[:0]
	for i, a := range args {
		k, n, data, ok := rawValueOf(a)
		if !ok {
			return 0, fmt.Errorf("raw bulk statement: argument %d is a %T: %w", i+1, a, errRawArg)
		}
		v := &vals[i]
		v.kind, v.i = C.int(k), C.longlong(n)
		if k == rawText || k == rawBlob {
			v.len, v.off = C.int(len(data)), C.longlong(len(buf))
			buf = append(buf, data...)
		}
	}
	return b.run(s, vals, buf)
}

// execCols is exec for the multi-row insert of key with the values of
// cols (sharedStmt's order: the shared columns once, then the others row
// by row), encoded straight from the columns.
func (b *rawBulk) execCols(s *rawStmt, cols []bulkCol, key sharedKey) (int64, error) {
	n := 0
	for c := range scanCols {
		if key.shared&(1<<c) != 0 {
			n++
		}
	}
	n += key.rows * (scanCols - n)
	if n != s.n {
		return 0, fmt.Errorf("raw bulk statement: %d arguments for %d parameters: %w", n, s.n, errRawArg)
	}
	if cap(b.vals) < n {
		b.vals = make([]C.rawVal, n)
	}
	vals, buf := b.vals[:n], b.buf[:0]
	k := 0
	put := func(col *bulkCol) {
		v := &vals[k]
		k++
		switch col.kind {
		case 1:
			v.kind, v.i = 1, C.longlong(col.i)
		case 2:
			v.kind, v.len, v.off = 2, C.int(len(col.s)), C.longlong(len(buf))
			buf = append(buf, col.s...)
		case 3:
			v.kind, v.len, v.off = 3, C.int(len(col.b)), C.longlong(len(buf))
			buf = append(buf, col.b...)
		default:
			v.kind = 0
		}
	}
	for c := range scanCols {
		if key.shared&(1<<c) != 0 {
			put(&cols[c])
		}
	}
	for r := range key.rows {
		for c := range scanCols {
			if key.shared&(1<<c) == 0 {
				put(&cols[r*scanCols+c])
			}
		}
	}
	return b.run(s, vals, buf)
}

// run runs s with vals, whose text and blobs are in buf.
func (b *rawBulk) run(s *rawStmt, vals []C.rawVal, buf []byte) (int64, error) {
	buf = append(buf, 0) // never empty: &buf[0] below
	b.buf = buf
	var changes C.longlong
	rc := C.bkExec(s.c.db, s.s, unsafe.SliceData(vals), C.int(len(vals)), (*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), &changes)
	if rc != 0 {
		return 0, s.c.err(int(rc))
	}
	return int64(changes), nil
}
