//go:build cgo

package store

/*
#include <stdlib.h>
#include <string.h>

#include "sqliteraw.h"

#define RS_ROW 100
#define RS_DONE 101
#define RS_PREPARE_PERSISTENT 1
#define RS_NULL 5

// One call: the arguments in, the first row's columns out (text copied
// to the buffer after the arguments), the changes and the result code.
typedef struct {
  rawVal arg[24]; // the arguments
  rawVal col[4];  // the row's columns
  int ncol;       // columns read (0 when no row)
  int changes;
  int rc;         // SQLITE_DONE, SQLITE_ROW or the error
  char *buf;
  long long cap, used; // buf's size; bytes of it the arguments use
} rsCall;

static int rsReady(void) {
  return sqlite3_prepare_v3 && sqlite3_step && sqlite3_bind_text && sqlite3_column_text;
}

static int rsPrepare(sqlite3 *db, const char *sql, sqlite3_stmt **out) {
  return sqlite3_prepare_v3(db, sql, -1, RS_PREPARE_PERSISTENT, out, 0);
}

static int rsParams(sqlite3_stmt *s) { return sqlite3_bind_parameter_count(s); }
static void rsFinalize(sqlite3_stmt *s) { sqlite3_finalize(s); }

// rsRun binds n arguments, steps once and, on a row, reads up to 4
// columns (text copied after the arguments when buf has room, else
// rc = SQLITE_NOMEM... reported as 7). The statement is reset before it
// returns, so it holds no lock or read transaction.
static void rsRun(sqlite3 *db, sqlite3_stmt *s, rsCall *c, int n) {
  int rc = rawBind(s, c->arg, n, c->buf);
  c->ncol = 0;
  if (rc != 0) {
    c->rc = rc;
    sqlite3_reset(s);
    return;
  }
  rc = sqlite3_step(s);
  if (rc == RS_ROW) {
    int nc = sqlite3_column_count(s);
    if (nc > 4) nc = 4;
    long long off = c->used;
    for (int i = 0; i < nc; i++) {
      rawVal *v = &c->col[i];
      int t = sqlite3_column_type(s, i);
      v->i = 0; v->len = 0; v->off = 0;
      if (t == RS_NULL) { v->kind = 0; continue; }
      if (t == 1) { v->kind = 1; v->i = sqlite3_column_int64(s, i); continue; }
      const unsigned char *p = sqlite3_column_text(s, i);
      int len = sqlite3_column_bytes(s, i);
      if (off + len > c->cap) { rc = 7; break; }
      memcpy(c->buf + off, p, len);
      v->kind = 2; v->len = len; v->off = off;
      off += len;
    }
    if (rc == RS_ROW) c->ncol = nc;
  } else if (rc == RS_DONE) {
    c->changes = sqlite3_changes(db);
  }
  c->rc = rc;
  if (rc != RS_ROW && rc != RS_DONE) c->rc = sqlite3_extended_errcode(db);
  sqlite3_reset(s);
}

static const char *rsErrmsg(sqlite3 *db) { return sqlite3_errmsg(db); }
*/
import "C"

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// rawConn runs a few prepared statements of the scan writer's connection
// straight on SQLite's C API, each step one cgo call: binding the 19
// values of a scan through database/sql and go-sqlite3 (a driver.Value
// conversion and a cgo call per value, a Rows or Result object per
// statement) was ~40 µs of Go between a scan's SQLite steps in P1, as
// much again as the steps themselves (perf probes on sqlite3_step,
// docs/notes/perf.md). The statements are the writer's; the connection
// stays database/sql's, and the writer holds it (sql.Conn) for as long as
// the statements live.
type rawConn struct {
	db   *C.sqlite3
	call *C.rsCall // C memory: arguments, columns and their bytes
	buf  []byte    // call.buf as a Go slice
}

// rawStmt is one statement prepared on a rawConn.
type rawStmt struct {
	c *rawConn
	s *C.sqlite3_stmt
	n int // parameters
}

// errNoRawConn: the driver connection is not one rawConn can use.
var errNoRawConn = errors.New("raw statements need a go-sqlite3 connection")

// rawBuf is the size of a call's byte buffer: a scan's text columns with
// room to spare; a longer scan takes the database/sql path.
const rawBuf = 64 << 10

// openRawConn reads the sqlite3 handle out of the go-sqlite3 connection
// dc (the driver keeps it in the unexported field db: read with reflect,
// and nil when a driver version has it no more).
func openRawConn(dc any) (*rawConn, error) {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok || C.rsReady() == 0 {
		return nil, errNoRawConn
	}
	f := reflect.ValueOf(c).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, errNoRawConn
	}
	call := (*C.rsCall)(C.calloc(1, C.size_t(unsafe.Sizeof(C.rsCall{}))))
	call.buf = (*C.char)(C.malloc(rawBuf))
	call.cap = rawBuf
	return &rawConn{db: (*C.sqlite3)(f.UnsafePointer()), call: call,
		buf: unsafe.Slice((*byte)(unsafe.Pointer(call.buf)), rawBuf)}, nil
}

// close frees the call's memory; the statements are finalized first.
func (c *rawConn) close() {
	if c == nil || c.call == nil {
		return
	}
	C.free(unsafe.Pointer(c.call.buf))
	C.free(unsafe.Pointer(c.call))
	c.call, c.buf = nil, nil
}

// prepare prepares q on the connection.
func (c *rawConn) prepare(q string) (*rawStmt, error) {
	cq := C.CString(q)
	defer C.free(unsafe.Pointer(cq))
	var s *C.sqlite3_stmt
	if rc := C.rsPrepare(c.db, cq, &s); rc != 0 {
		return nil, c.err(int(rc))
	}
	return &rawStmt{c: c, s: s, n: int(C.rsParams(s))}, nil
}

// finalize releases the statement; the rawConn's connection must still be
// open.
func (s *rawStmt) finalize() {
	if s != nil && s.s != nil {
		C.rsFinalize(s.s)
		s.s = nil
	}
}

// err is the error of result code rc, with SQLite's message, as
// go-sqlite3 would give it (sqliteerr reads its code).
func (c *rawConn) err(rc int) error {
	return fmt.Errorf("%s: %w", C.GoString(C.rsErrmsg(c.db)),
		sqlite3.Error{Code: sqlite3.ErrNo(rc & 0xff), ExtendedCode: sqlite3.ErrNoExtended(rc)})
}

// errRawArg: a value of a type the raw path does not bind (a bug: the
// writer's statements pass only these).
var errRawArg = errors.New("raw statement: argument type not supported")

// run binds args, steps once and returns the changes (for a statement
// that ran to its end) or, for a row, whether there was one; the row's
// columns are then read with col* before the next run.
func (s *rawStmt) run(args ...any) (changes int, row bool, err error) {
	if len(args) != s.n || len(args) > len(s.c.call.arg) {
		return 0, false, fmt.Errorf("raw statement: %d arguments for %d parameters: %w", len(args), s.n, errRawArg)
	}
	call, buf := s.c.call, s.c.buf
	off := 0
	for i, a := range args {
		k, n, data, ok := rawValueOf(a)
		if !ok {
			return 0, false, fmt.Errorf("raw statement: argument %d is a %T: %w", i+1, a, errRawArg)
		}
		v := &call.arg[i]
		v.kind, v.i = C.int(k), C.longlong(n)
		if k == rawText || k == rawBlob {
			if off+len(data) > len(buf) {
				return 0, false, fmt.Errorf("raw statement: %d bytes of arguments: %w", off+len(data), errRawArg)
			}
			v.len, v.off = C.int(len(data)), C.longlong(off)
			off += copy(buf[off:], data)
		}
	}
	call.used = C.longlong(off)
	C.rsRun(s.c.db, s.s, call, C.int(len(args)))
	switch call.rc {
	case C.RS_DONE:
		return int(call.changes), false, nil
	case C.RS_ROW:
		return 0, true, nil
	}
	return 0, false, s.c.err(int(call.rc))
}

// colText is text column i of the row the last run read ("" for NULL).
func (s *rawStmt) colText(i int) string {
	v := &s.c.call.col[i]
	if v.kind != 2 {
		return ""
	}
	return string(s.c.buf[v.off : v.off+C.longlong(v.len)])
}

// colInt is integer column i of the row the last run read (0 for NULL).
func (s *rawStmt) colInt(i int) int64 {
	v := &s.c.call.col[i]
	if v.kind != 1 {
		return 0
	}
	return int64(v.i)
}

// rawConnOf opens a rawConn on the driver connection of conn; nil when it
// cannot (another driver, a go-sqlite3 without the field).
func rawConnOf(conn *sql.Conn) *rawConn {
	var rc *rawConn
	_ = conn.Raw(func(dc any) error {
		var err error
		rc, err = openRawConn(dc)
		return err
	})
	return rc
}
