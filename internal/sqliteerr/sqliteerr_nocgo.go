//go:build !cgo

package sqliteerr

// Of is Other without cgo: go-sqlite3 then opens no database, so no
// SQLite error can occur.
func Of(error) Code { return Other }

// InTransaction does not know without cgo.
func InTransaction(any) (inTx, ok bool) { return false, false }
