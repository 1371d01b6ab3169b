package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/importer"
	"markd/mark"
	"markd/store"
)

func TestImport(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	n := 3000
	if testing.Short() {
		n = 500
	}
	marks := dmMarks(t, n, 3_000_000)
	var b strings.Builder
	for _, m := range marks {
		fmt.Fprintln(&b, m)
	}
	fmt.Fprintln(&b, marks[0])                                                                          // same counter, within the window
	fmt.Fprintf(&b, `{"text":%q,"counter":"B","source":"old-log"}`+"\n", marks[1])                      // another counter: REUSED
	fmt.Fprintln(&b, "")                                                                                // NOT_A_MARK, not stored
	fmt.Fprintln(&b, "4600000000001")                                                                   // a shop barcode
	fmt.Fprintf(&b, `{"text":"EPM1:AAAA","at":"2026-11-25T10:00:00+04:00","measured_weight_g":5}`+"\n") // broken mark
	file := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		fmt.Sprintf("imported %d scans", n+4),
		fmt.Sprintf("ACCEPT          %d", n),
		"DUPLICATE_SCAN  1", "NOT_A_MARK      2 (1 of them blank lines, not stored)", "REJECT          2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Counts(context.Background())
	if err != nil || c[mark.Accept] != n || c[mark.Reject] != 2 {
		t.Errorf("store counts %v %v", c, err)
	}
	recs, _, err := db.List(context.Background(), store.Filter{Reasons: []mark.Reason{mark.ReasonReused}})
	if err != nil || len(recs) != 1 || recs[0].Counter != "B" || recs[0].Source != "old-log" || recs[0].FirstAccepted == nil {
		t.Errorf("reused record: %+v %v", recs, err)
	}
	// the same file again at once, every line (--again): re-scans at the
	// same counter within the window (without it nothing is stored:
	// TestImportAgainStoresNothing)
	code, out, _ = vtRun(t, "", "import", "--again", "--config", cfg, file)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("DUPLICATE_SCAN  %d", n+1)) || strings.Contains(out, "ACCEPT") {
		t.Errorf("second import: exit %d\n%s", code, out)
	}
	code, _, errs = vtRun(t, "", "import", "--config", cfg, filepath.Join(dir, "missing.txt"))
	if code != exitUsage {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte(`{"text":"x","bogus":1}`+"\n"), 0o600)
	if code, _, errs = vtRun(t, "", "import", "--config", cfg, bad); code != exitUsage || !strings.Contains(errs, bad+":1: ") {
		t.Errorf("bad line: exit %d %s", code, errs)
	}
	// a key given twice, in another case: refused as the API refuses it
	os.WriteFile(bad, []byte(`{"text":"x","Text":"y"}`+"\n"), 0o600)
	if code, _, errs = vtRun(t, "", "import", "--config", cfg, bad); code != exitUsage || !strings.Contains(errs, bad+`:1: key "Text" given twice`) {
		t.Errorf("key given twice: exit %d %s", code, errs)
	}
}

// TestImportBadLineAfterBatches: a line that is not a scan stops the
// import there, naming it; every scan before it is stored (the batches
// before and the part of its own batch read before it), nothing after.
func TestImportBadLineAfterBatches(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, importer.Batch+110, 4_000_000)
	var b strings.Builder
	for _, m := range marks[:importer.Batch+100] {
		fmt.Fprintln(&b, m)
	}
	fmt.Fprintln(&b, `{"text":"x","bogus":1}`)
	for _, m := range marks[importer.Batch+100:] {
		fmt.Fprintln(&b, m)
	}
	file := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if want := fmt.Sprintf("%s:%d: ", file, importer.Batch+101); code != exitUsage || !strings.Contains(errs, want) {
		t.Fatalf("import: exit %d, stderr %q; want exit %d naming %s\n%s", code, errs, exitUsage, want, out)
	}
	if want := fmt.Sprintf("ACCEPT          %d", importer.Batch+100); !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != importer.Batch+100 || len(c) != 1 {
		t.Errorf("store counts %v %v, want %d ACCEPT only", c, err, importer.Batch+100)
	}
}

// TestImportMovesCheckWatermark: import checks every signature before its
// commits, so it moves the check watermark over its rows and the daemon's
// next start does not check them again (pipeline.RecheckSignatures).
func TestImportMovesCheckWatermark(t *testing.T) {
	dir := t.TempDir()
	cfg, path := dmWatermarkedStore(t, dir)
	ctx := context.Background()
	file := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(file, []byte(strings.Join(dmMarks(t, 40, 4_000_000), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := vtRun(t, "", "import", "--config", cfg, file); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	db, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, top, err := db.UncheckedScans(ctx)
	if err != nil || len(rows) != 0 || top != 40 {
		t.Errorf("after the import: %d scans above the watermark, top %d, %v; want 0, 40", len(rows), top, err)
	}
}

// TestImportStoreFails: the store is opened while the first batches are
// judged; when it cannot be opened the import fails with the store's
// error, stores nothing and prints no summary, whether the file is small
// or several batches long.
func TestImportStoreFails(t *testing.T) {
	for _, n := range []int{3, 3*importer.Batch + 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			cfg := dmConfig(t, dir, "")
			var b strings.Builder
			for _, m := range dmMarks(t, min(n, 50), 5_000_000) {
				fmt.Fprintln(&b, m)
			}
			for range n - min(n, 50) {
				fmt.Fprintln(&b, "4600000000001")
			}
			file := filepath.Join(dir, "scans.txt")
			if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "markd.db")
			if err := os.WriteFile(db, []byte("not a store, not at all: SQLite format 3 is missing"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
			if code == 0 || !strings.Contains(errs, db) {
				t.Fatalf("import: exit %d, stderr %q; want a failure naming %s", code, errs, db)
			}
			if strings.Contains(out, "imported") || strings.Contains(out, "ACCEPT") {
				t.Errorf("a summary after the store failed:\n%s", out)
			}
		})
	}
}
