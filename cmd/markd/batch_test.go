package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/batchlist"
	"markd/mark"
	"markd/store"
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
	if code != 2 || !strings.Contains(errs, big+": more than 16777216 bytes") || !strings.Contains(errs, "split the batch") {
		t.Errorf("exit %d\n%s\nwant exit 2 (a list refused, as one over 100000 items) naming the file and the 16777216-byte limit", code, errs)
	}
}

// TestBatchExpectRefusedExit: every list markd batch expect refuses for
// what is in the file exits 2, the exit of an input refused (cli.Exit),
// whichever limit or rule it breaks; until 2026-12-04 a file over 16 MiB
// exited 1, like a store that cannot be opened, and one over 100 000
// items 2. Nothing is imported.
func TestBatchExpectRefusedExit(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "markd.db")
	initStore(t, db)
	st, err := store.Open(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.OpenBatch(context.Background(), mark.Batch{Office: 426000, Counter: "c1", Contract: 5})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var many strings.Builder
	many.WriteString("n;mail_class;weight_g;tariff_kop\n")
	for i := 1; i <= batchlist.MaxItems+1; i++ {
		many.WriteString("1;1;20;5000\n")
	}
	for name, data := range map[string]string{
		"many.csv":  many.String(),
		"check.csv": "n,tracking,mail_class,weight_g,tariff_kop\n1,42600000000016,2,20,10500\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := vtRun(t, "", "batch", "expect", p, "--db", db, "--counter", "c1", "--office", "426000")
		if code != 2 || !strings.Contains(errs, p+": batch list: line ") {
			t.Errorf("%s: exit %d\n%.300s\nwant exit 2 naming the file and the line", name, code, errs)
		}
	}
	code, out, errs := vtRun(t, "", "batch", "status", b.ID, "--db", db, "--counter", "c1", "--office", "426000")
	if code != 0 || !strings.Contains(out, `"has_list": false`) {
		t.Errorf("status after the refusals: exit %d %s %s; want no list", code, out, errs)
	}
}
