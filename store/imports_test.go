package store

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"markd/mark"
)

// TestSaveImportBatch: an import's progress is committed with its batch
// of scans, or not at all (a failed commit leaves neither), and found
// again by the head of the file, also through FindImports before the
// store is opened to write.
func TestSaveImportBatch(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	db, path := openTest(t, Options{Now: func() time.Time { return now }})
	batch := func(from, n int) []*mark.Record {
		var recs []*mark.Record
		for i := range n {
			recs = append(recs, scRec(uint64(5000+from+i), "A", t0.Add(time.Duration(from+i)*time.Second), mark.Accept))
		}
		return recs
	}
	count := func() int {
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	m := &ImportMark{ID: "imp-1", Name: "scans.txt", Lines: 40, Bytes: 4000, Prefix: "p40", HeadLen: HeadSize, Head: "h"}
	if err := db.SaveImportBatch(ctx, batch(0, 30), nil, 10*time.Minute, m); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	m2 := *m
	m2.Lines, m2.Bytes, m2.Prefix, m2.Prior = 80, 8000, "p80", 4000
	db.FailWrite = func() error { return syscall.ENOSPC }
	if err := db.SaveImportBatch(ctx, batch(30, 30), nil, 10*time.Minute, &m2); !errors.Is(err, mark.ErrUnavailable) {
		t.Fatalf("failed commit: %v", err)
	}
	db.FailWrite = nil
	heads := func(n int) (string, error) {
		if n != HeadSize {
			return "", fmt.Errorf("head of %d bytes asked", n)
		}
		return "h", nil
	}
	got, err := db.Imports(ctx, 10_000, heads)
	if err != nil || len(got) != 1 || got[0].Lines != 40 || got[0].Bytes != 4000 || got[0].Prefix != "p40" || got[0].Scans != 30 || count() != 30 {
		t.Fatalf("after a failed commit: %+v %v, %d scans; want the first batch's 40 lines, 30 scans", got, err, count())
	}
	// the next batch, and a batch of blank lines (no scan)
	if err := db.SaveImportBatch(ctx, batch(30, 20), nil, 10*time.Minute, &m2); err != nil {
		t.Fatal(err)
	}
	m3 := m2
	m3.Lines, m3.Bytes, m3.Prefix, m3.Prior = 90, 8010, "p90", 8000
	if err := db.SaveImportBatch(ctx, nil, nil, 10*time.Minute, &m3); err != nil {
		t.Fatal(err)
	}
	other := &ImportMark{ID: "imp-2", Name: "small.txt", Lines: 1, Bytes: 100, Prefix: "q", HeadLen: 100, Head: "q"}
	if err := db.SaveImportBatch(ctx, batch(100, 1), nil, 10*time.Minute, other); err != nil {
		t.Fatal(err)
	}
	for name, find := range map[string]func(int64, func(int) (string, error)) ([]ImportMark, error){
		"Imports": func(size int64, h func(int) (string, error)) ([]ImportMark, error) { return db.Imports(ctx, size, h) },
		"FindImports": func(size int64, h func(int) (string, error)) ([]ImportMark, error) {
			return FindImports(ctx, path, size, h)
		},
	} {
		got, err := find(10_000, func(n int) (string, error) { return map[int]string{HeadSize: "h", 100: "x"}[n], nil })
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %+v %v", name, got, err)
		}
		g := got[0]
		if g.ID != "imp-1" || g.Lines != 90 || g.Bytes != 8010 || g.Prefix != "p90" || g.Scans != 50 ||
			!g.Started.Equal(t0.Add(time.Hour)) || !g.Updated.Equal(now) {
			t.Errorf("%s: %+v", name, g)
		}
		if got, err := find(8000, func(n int) (string, error) { return map[int]string{HeadSize: "h", 100: "x"}[n], nil }); err != nil || len(got) != 0 { // a file shorter than what was imported
			t.Errorf("%s: a shorter file: %+v %v", name, got, err)
		}
	}
	if count() != 51 {
		t.Errorf("%d scans, want 51", count())
	}
}

// TestSaveImportBatchOvertaken: two runs of markd import of one file
// resumed from the same row: the batch of the second to commit lines
// from where the row was is refused (ErrImportOvertaken, nothing of it
// stored), as is a new import's first batch under an id that has a row.
// Before, both batches were stored: every line of the later one a second
// time, DUPLICATE_SCAN or a REUSED rejection of a mark accepted once.
func TestSaveImportBatchOvertaken(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	rec := func(serial uint64) []*mark.Record {
		return []*mark.Record{scRec(serial, "A", t0.Add(time.Duration(serial)*time.Second), mark.Accept)}
	}
	first := &ImportMark{ID: "imp-1", Name: "scans.txt", Lines: 10, Bytes: 1000, Prefix: "p10", HeadLen: 1000, Head: "h"}
	if err := db.SaveImportBatch(ctx, rec(6000), nil, 10*time.Minute, first); err != nil {
		t.Fatal(err)
	}
	a, b := *first, *first // two runs that read the row at 1000 bytes
	a.Lines, a.Bytes, a.Prior = 20, 2000, 1000
	b.Lines, b.Bytes, b.Prior = 30, 3000, 1000
	if err := db.SaveImportBatch(ctx, rec(6001), nil, 10*time.Minute, &a); err != nil {
		t.Fatal(err)
	}
	err := db.SaveImportBatch(ctx, rec(6002), nil, 10*time.Minute, &b)
	if !errors.Is(err, ErrImportOvertaken) || !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("second run's batch: %v, want ErrImportOvertaken", err)
	}
	again := *first // a first batch (Prior 0) under an id that has a row
	again.Prior = 0
	if err := db.SaveImportBatch(ctx, rec(6003), nil, 10*time.Minute, &again); !errors.Is(err, ErrImportOvertaken) {
		t.Fatalf("first batch under a used id: %v, want ErrImportOvertaken", err)
	}
	if err := db.MarkImport(ctx, &b); !errors.Is(err, ErrImportOvertaken) {
		t.Fatalf("blank lines of the second run: %v, want ErrImportOvertaken", err)
	}
	var n int
	var bytes int64
	if err := db.SQL().QueryRow(`SELECT (SELECT count(*) FROM scans), bytes FROM imports WHERE id = 'imp-1'`).Scan(&n, &bytes); err != nil {
		t.Fatal(err)
	}
	if n != 2 || bytes != 2000 {
		t.Errorf("%d scans, row at %d bytes; want the 2 of the first run, 2000", n, bytes)
	}
}

// TestFindImportsOldStore: a store without the imports table (before
// migration 064) has no imports; a missing store is named.
func TestFindImportsOldStore(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, Options{})
	if _, err := db.SQL().Exec(`DROP TABLE imports`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got, err := FindImports(ctx, path, 100, func(int) (string, error) { return "", nil }); err != nil || got != nil {
		t.Errorf("old store: %+v %v", got, err)
	}
	if _, err := FindImports(ctx, path+".missing", 100, nil); !errors.Is(err, ErrNotAStore) {
		t.Errorf("missing store: %v", err)
	}
}
