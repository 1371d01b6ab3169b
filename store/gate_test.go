package store

import (
	"context"
	"errors"
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
