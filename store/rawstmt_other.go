//go:build !linux || !cgo

package store

import (
	"database/sql"
	"errors"
)

// rawConn: the raw statements of rawstmt_linux.go are built and measured
// on Linux only; elsewhere the writer's statements go through
// database/sql.
type rawConn struct{}

type rawStmt struct{}

var (
	errNoRawConn = errors.New("raw statements are built on Linux only")
	errRawArg    = errors.New("raw statement: argument type not supported")
)

func rawConnOf(*sql.Conn) *rawConn                  { return nil }
func (c *rawConn) close()                           {}
func (c *rawConn) prepare(string) (*rawStmt, error) { return nil, errNoRawConn }
func (s *rawStmt) finalize()                        {}
func (s *rawStmt) colText(int) string               { return "" }
func (s *rawStmt) colInt(int) int64                 { return 0 }
func (s *rawStmt) run(...any) (int, bool, error)    { return 0, false, errNoRawConn }
