//go:build !linux || !cgo

package store

// rawBulk: the raw bulk statements of bulkraw_linux.go are built on Linux
// only, as the writer's raw statements (rawstmt_other.go).
type rawBulk struct{}

func rawBulkReady() bool { return false }

func (b *rawBulk) exec(*rawStmt, []any) (int64, error) { return 0, errNoRawConn }

func (b *rawBulk) execCols(*rawStmt, []bulkCol, sharedKey) (int64, error) { return 0, errNoRawConn }
