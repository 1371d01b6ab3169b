package store

import "unsafe"

// rawKind is how the raw statements (rawstmt_linux.go, bulkraw_linux.go)
// bind a value; the numbers are rawVal.kind's (sqliteraw.h).
type rawKind int

const (
	rawNull rawKind = iota
	rawInt
	rawText
	rawBlob
)

// rawValueOf is a as the raw statements bind it: its kind and, for an
// integer, its value, for a text or a blob, its bytes. ok is false for a
// type the writer's statements never pass (the caller refuses the
// statement with errRawArg before anything is bound).
func rawValueOf(a any) (k rawKind, i int64, b string, ok bool) {
	switch x := a.(type) {
	case nil:
		return rawNull, 0, "", true
	case int64:
		return rawInt, x, "", true
	case int:
		return rawInt, int64(x), "", true
	case uint32:
		return rawInt, int64(x), "", true
	case string:
		return rawText, 0, x, true
	case []byte:
		if x == nil {
			return rawNull, 0, "", true
		}
		return rawBlob, 0, unsafe.String(unsafe.SliceData(x), len(x)), true
	}
	return 0, 0, "", false
}
