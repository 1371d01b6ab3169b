// Package sqliteerr reads SQLite's primary result codes out of
// mattn/go-sqlite3 errors. go-sqlite3 has its error types only when cgo is
// on, so the packages that use SQLite ask here instead: they then also
// build and vet with cgo off (GOOS=windows go vet ./... on a machine
// without the mingw-w64 cross compiler). A cgo-less binary cannot open a
// database at all; go-sqlite3 says so at Open.
package sqliteerr

// Code is a primary SQLite result code, the few markd tells apart.
type Code int

// The codes markd acts on; Other is every other error, or none.
const (
	Other      Code = iota
	Busy            // SQLITE_BUSY
	Locked          // SQLITE_LOCKED
	ReadOnly        // SQLITE_READONLY
	Full            // SQLITE_FULL
	Constraint      // SQLITE_CONSTRAINT (unique, check, trigger abort)
	Corrupt         // SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged or not a database
)

// String is the SQLite name of the code.
func (c Code) String() string {
	switch c {
	case Busy:
		return "SQLITE_BUSY"
	case Locked:
		return "SQLITE_LOCKED"
	case ReadOnly:
		return "SQLITE_READONLY"
	case Full:
		return "SQLITE_FULL"
	case Constraint:
		return "SQLITE_CONSTRAINT"
	case Corrupt:
		return "SQLITE_CORRUPT"
	}
	return "other"
}
