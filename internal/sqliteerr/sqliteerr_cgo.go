//go:build cgo

package sqliteerr

import (
	"errors"
	"syscall"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Of returns the SQLite code of the first sqlite3.Error in err's chain.
func Of(err error) Code {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return Other
	}
	switch se.Code {
	case sqlite3.ErrBusy:
		return Busy
	case sqlite3.ErrLocked:
		return Locked
	case sqlite3.ErrReadonly:
		return ReadOnly
	case sqlite3.ErrFull:
		return Full
	case sqlite3.ErrConstraint:
		return Constraint
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return Corrupt
	}
	return Other
}

// DiskFull reports whether err is SQLite's "database or disk is full", or
// an I/O error whose system error is ENOSPC (SQLite opening a store on a
// full disk says "disk I/O error": Of cannot tell that from a failing
// disk).
func DiskFull(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == sqlite3.ErrFull || se.SystemErrno == syscall.ENOSPC
}

// InTransaction reports whether the driver connection dc (from
// sql.Conn.Raw) has a transaction open; ok is false for another driver.
func InTransaction(dc any) (inTx, ok bool) {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok {
		return false, false
	}
	return !c.AutoCommit(), true
}
