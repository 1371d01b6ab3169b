//go:build cgo

package store

import (
	"context"
	"testing"
	"time"

	"markd/mark"
)

// TestWALWritesCoalesced: a scan's commit reaches the kernel in one write
// (SQLite makes two per WAL frame), and what was written reads back after
// the store is closed and opened again.
func TestWALWritesCoalesced(t *testing.T) {
	if vfsParam() == "" {
		t.Fatal("the WAL VFS did not register")
	}
	db, path := openTest(t, Options{})
	ctx := context.Background()
	for i := range 3 { // past the first commits (schema, WAL header)
		if err := db.Save(ctx, scRec(uint64(100+i), "A", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i := range 20 {
		w0, f0 := walWriteStats()
		rec := scRec(uint64(1000+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept)
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
		w, f := walWriteStats()
		// Other tests of the package may write at the same time: only the
		// ratio is checked (4 frames = 8 writes → 1).
		if w-w0 < 8 || f-f0 > (w-w0)/4 {
			t.Errorf("scan %d: %d WAL writes reached the kernel in %d writes, want ≤ 1 per 4", i, w-w0, f-f0)
		}
		ids = append(ids, rec.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, id := range ids {
		r, err := db2.Get(ctx, id)
		if err != nil || r.Verdict != mark.Accept {
			t.Fatalf("after reopen, %s: %v %v", id, r.Verdict, err)
		}
	}
	if err := db2.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
