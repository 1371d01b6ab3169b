package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"markd/mark"
)

// TestRestoredHistory: a store made by Create has its history pending; a
// restored serial makes a later acceptance REUSED with the collector's
// holder; restoring resumes after its cursor.
func TestRestoredHistory(t *testing.T) {
	ctx := context.Background()
	db, err := Create(ctx, filepath.Join(t.TempDir(), "markd.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if pending, cur, err := db.HistoryPending(ctx); err != nil || !pending || cur != 0 {
		t.Fatalf("new store: pending %v cursor %d %v", pending, cur, err)
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if err := db.RestoreSerials(ctx, []RestoredSerial{{Serial: 41, RecordID: "hub-41", At: at, Office: 426000, Counter: "2"},
		{Serial: 42, RecordID: "hub-42", At: at, Office: 426000, Counter: "2"}}, 42); err != nil {
		t.Fatal(err)
	}
	if pending, cur, _ := db.HistoryPending(ctx); !pending || cur != 42 {
		t.Fatalf("after a page: pending %v cursor %d", pending, cur)
	}
	r := scRec(42, "1", at.Add(24*time.Hour), mark.Accept)
	if err := db.Save(ctx, r, time.Minute); err != nil {
		t.Fatal(err)
	}
	if r.Verdict != mark.Reject || len(r.Reasons) != 1 || r.Reasons[0] != mark.ReasonReused ||
		r.FirstAccepted == nil || r.FirstAccepted.RecordID != "hub-42" || !r.FirstAccepted.At.Equal(at) {
		t.Fatalf("restored serial accepted again: %+v %+v", r, r.FirstAccepted)
	}
	fresh := scRec(43, "1", at.Add(24*time.Hour), mark.Accept)
	if err := db.Save(ctx, fresh, time.Minute); err != nil || fresh.Verdict != mark.Accept {
		t.Fatalf("new serial: %+v %v", fresh, err)
	}
	// A serial accepted here meanwhile keeps its local holder.
	if err := db.RestoreSerials(ctx, []RestoredSerial{{Serial: 43, RecordID: "hub-43", At: at, Office: 426000, Counter: "2"}}, 43); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.RestoredCount(ctx); n != 2 {
		t.Fatalf("restored %d, want 2", n)
	}
	if err := db.RestoreDone(ctx, 500, ""); err != nil {
		t.Fatal(err)
	}
	if pending, _, _ := db.HistoryPending(ctx); pending {
		t.Fatal("still pending after RestoreDone")
	}
	// The terminal sent review events up to id 500 from its lost store:
	// this store's next one is numbered above them.
	if err := db.ConfirmRejection(ctx, r.ID, "boss", "seen"); err != nil {
		t.Fatal(err)
	}
	if ev, err := db.AuditFor(ctx, r.ID); err != nil || len(ev) == 0 || ev[len(ev)-1].ID <= 500 {
		t.Fatalf("audit after the restore: %+v %v, want an id above 500", ev, err)
	}
	// A store of before (or a test store) has its history.
	old, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if pending, _, _ := old.HistoryPending(ctx); pending {
		t.Fatal("a store not made by Create is pending")
	}
}
