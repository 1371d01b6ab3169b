//go:build !cgo

package sqliteerr

// Of is Other without cgo: go-sqlite3 then opens no database, so no
// SQLite error can occur.
func Of(error) Code { return Other }

// DiskFull is false without cgo, as Of is Other.
func DiskFull(error) bool { return false }

// InTransaction does not know without cgo.
func InTransaction(any) (inTx, ok bool) { return false, false }
