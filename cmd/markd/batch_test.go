package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
