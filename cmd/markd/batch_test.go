package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/batchlist"
)

// TestBatchNoneOpenSaysHow: markd batch status and expect with no batch
// open at the counter say how one is opened (or that an id can be given),
// not only "not found".
func TestBatchNoneOpenSaysHow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "markd.db")
	initStore(t, db)
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte("tracking\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"batch", "status", "--db", db, "--counter", "c1"},
		{"batch", "expect", list, "--db", db, "--counter", "c1"},
	} {
		code, _, errs := vtRun(t, "", args...)
		if code != 1 || !strings.Contains(errs, "no batch open at counter c1") ||
			!strings.Contains(errs, "Open batch") || !strings.Contains(errs, "POST /api/batches") {
			t.Errorf("%v: exit %d\n%s\nwant exit 1 naming the counter with a hint how to open a batch", args, code, errs)
		}
	}
}

// TestBatchExpectTooLarge: markd batch expect refuses a file over the
// local API's limit (batchlist.MaxBytes) naming the file and the limit,
// without reading it whole (until 2026-12-04 it read any file into memory
// before the parse looked at it), and before the store is opened.
func TestBatchExpectTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "dump.csv")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(batchlist.MaxBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	code, _, errs := vtRun(t, "", "batch", "expect", big, "--db", filepath.Join(dir, "none.db"), "--counter", "c1")
	if code != 1 || !strings.Contains(errs, big+": more than 16777216 bytes") || !strings.Contains(errs, "split the batch") {
		t.Errorf("exit %d\n%s\nwant exit 1 naming the file and the 16777216-byte limit", code, errs)
	}
}
