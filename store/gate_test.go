package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"markd/mark"
)

// TestSaveCheckedWithoutGate: on a writer without a gate slot (other
// systems, or the VFS not registered) a bad check rolls the transaction
// back before COMMIT: nothing stored, the serial free; a good one commits.
func TestSaveCheckedWithoutGate(t *testing.T) {
	db, _ := openTest(t, Options{})
	ctx := context.Background()
	if err := db.Save(ctx, scRec(1, "A", t0, mark.Accept), time.Minute); err != nil {
		t.Fatal(err)
	}
	db.writer.mu.Lock()
	gateFree(db.writer.gate)
	db.writer.gate = 0
	db.writer.mu.Unlock()

	bad := scRec(2, "A", t0.Add(time.Second), mark.Accept)
	if err := db.SaveChecked(ctx, bad, time.Minute, func() bool { return false }); !errors.Is(err, ErrSignatureRefused) {
		t.Fatalf("bad check: %v, want ErrSignatureRefused", err)
	}
	if bad.ID != "" {
		t.Errorf("refused record got id %q", bad.ID)
	}
	var n int
	if err := db.db.QueryRow(`SELECT count(*) FROM scans WHERE raw_text = ?`, bad.Text).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused scan stored %d times (%v)", n, err)
	}
	good := scRec(2, "A", t0.Add(2*time.Second), mark.Accept)
	if err := db.SaveChecked(ctx, good, time.Minute, func() bool { return true }); err != nil || good.Verdict != mark.Accept {
		t.Fatalf("good check after a refusal: %s %v, want ACCEPT", good.Verdict, err)
	}
	if r, err := db.Get(ctx, good.ID); err != nil || r.Verdict != mark.Accept {
		t.Errorf("stored %s %v", r.Verdict, err)
	}
}

// TestCheckWatermark: checked scans move the watermark only once the
// store was rechecked at open (SetCheckWatermark), and then every
// checkWatermarkEvery scans, so what is above it stays under that; a
// store without one has nothing to recheck; scans without a decoded mark
// are never rechecked.
func TestCheckWatermark(t *testing.T) {
	db, _ := openTest(t, Options{})
	ctx := context.Background()
	ok := func() bool { return true }
	for i := range 10 {
		if err := db.SaveChecked(ctx, scRec(uint64(i+1), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute, ok); err != nil {
			t.Fatal(err)
		}
	}
	rows, top, err := db.UncheckedScans(ctx)
	if err != nil || len(rows) != 0 || top != 10 {
		t.Fatalf("no watermark yet: %d rows, top %d, %v; want 0, 10", len(rows), top, err)
	}
	if err := db.SetCheckWatermark(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if rows, _, err := db.UncheckedScans(ctx); err != nil || len(rows) != 5 {
		t.Fatalf("above watermark 5 of 10: %d rows %v, want 5", len(rows), err)
	}
	noMark := scRec(0, "A", t0.Add(time.Hour), mark.NotAMark)
	noMark.Mark = nil
	if err := db.Save(ctx, noMark, time.Minute); err != nil {
		t.Fatal(err)
	}
	most := 0
	for i := range 3 * checkWatermarkEvery {
		rec := scRec(uint64(100+i), "A", t0.Add(time.Duration(100+i)*time.Second), mark.Accept)
		if err := db.SaveChecked(ctx, rec, time.Minute, ok); err != nil {
			t.Fatal(err)
		}
		rows, _, err := db.UncheckedScans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, len(rows))
		if slices.ContainsFunc(rows, func(u UncheckedScan) bool { return u.ID == noMark.ID }) {
			t.Fatal("a scan without a decoded mark is listed for a recheck")
		}
	}
	if most > checkWatermarkEvery+5 {
		t.Errorf("up to %d scans above the watermark, want at most %d", most, checkWatermarkEvery+5)
	}
}

// TestAdvanceCheckWatermark: an import moves the watermark over its own
// rows only: not without a watermark, not from another row, not when a
// row it did not store lies above it.
func TestAdvanceCheckWatermark(t *testing.T) {
	ctx := context.Background()
	save := func(t *testing.T, db *DB, from, n int) {
		t.Helper()
		for i := range n {
			if err := db.Save(ctx, scRec(uint64(from+i), "A", t0.Add(time.Duration(from+i)*time.Second), mark.Accept), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name      string
		watermark int64 // -1: none
		from, n   int64
		extra     int // rows stored by someone else after the import's
		moved     bool
		want      int64 // watermark afterwards (-1: none)
	}{
		{"over its own rows", 4, 4, 6, 0, true, 10},
		{"no watermark", -1, 4, 6, 0, false, -1},
		{"watermark moved meanwhile", 7, 4, 3, 0, false, 7},
		{"a row of another writer", 4, 4, 6, 1, false, 4},
		{"nothing imported", 10, 10, 0, 0, true, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t, Options{})
			save(t, db, 1, 10+tc.extra)
			if tc.watermark >= 0 {
				if err := db.SetCheckWatermark(ctx, tc.watermark); err != nil {
					t.Fatal(err)
				}
			}
			moved, err := db.AdvanceCheckWatermark(ctx, tc.from, tc.n)
			if err != nil || moved != tc.moved {
				t.Fatalf("moved %v, %v; want %v", moved, err, tc.moved)
			}
			wm, ok, err := db.CheckWatermark(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := map[bool]int64{true: wm, false: -1}[ok]; got != tc.want {
				t.Errorf("watermark %d, want %d", got, tc.want)
			}
		})
	}
}
