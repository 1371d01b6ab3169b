package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"markd/mark"
)

func obRecord(i int, v mark.Verdict, serial uint64) mark.Record {
	base := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	r := mark.Record{ID: fmt.Sprintf("0190-%04d", i), At: base.Add(time.Duration(i) * time.Minute), Office: 426000,
		Counter: "A", Operator: "ivan", Text: fmt.Sprintf("EPM1:%d", i), Verdict: v}
	if serial != 0 {
		r.Mark = rvMark(serial, 100)
	}
	if v == mark.Reject {
		r.Reasons = []mark.Reason{mark.ReasonUnderpaid}
	}
	return r
}

func TestOutboxRecordsAndEvents(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	for i := 1; i <= 5; i++ {
		v := mark.Accept
		if i == 4 {
			v = mark.Reject
		}
		rvInsert(t, db, obRecord(i, v, uint64(i)))
	}
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 5 || !st.Oldest.Equal(obRecord(1, "", 0).At) {
		t.Fatalf("stats = %+v", st)
	}
	got, err := db.PendingUploads(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != "0190-0001" || got[2].ID != "0190-0003" || got[0].Mark == nil || got[0].Mark.Serial != 1 {
		t.Fatalf("first batch = %+v", got)
	}
	// A review of record 4 before it is uploaded must wait for the record.
	if err := db.OverrideAccept(ctx, "0190-0004", "boss", "paid at the desk"); err != nil {
		t.Fatal(err)
	}
	ev, err := db.PendingEvents(ctx, 10)
	if err != nil || len(ev) != 0 {
		t.Fatalf("event before its record: %v, %v", ev, err)
	}
	if err := db.CompleteUpload(ctx, UploadDone{RecordIDs: []string{"0190-0001", "0190-0002", "0190-0003"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.PendingUploads(ctx, 10)
	if len(got) != 2 || got[0].ID != "0190-0004" || got[0].Review != mark.ReviewOverridden {
		t.Fatalf("second batch = %+v", got)
	}
	if err := db.CompleteUpload(ctx, UploadDone{RecordIDs: []string{"0190-0004", "0190-0005"}}); err != nil {
		t.Fatal(err)
	}
	ev, err = db.PendingEvents(ctx, 10)
	if err != nil || len(ev) != 1 || ev[0].Action != ActionOverride || ev[0].RecordID != "0190-0004" {
		t.Fatalf("events = %+v, %v", ev, err)
	}
	st, _ = db.OutboxStats(ctx)
	if st.Records != 0 || !st.Oldest.IsZero() || st.Events != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if err := db.CompleteUpload(ctx, UploadDone{LastEventID: ev[0].ID}); err != nil {
		t.Fatal(err)
	}
	// The cursor never goes backwards.
	if err := db.CompleteUpload(ctx, UploadDone{LastEventID: 0}); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteUpload(ctx, UploadDone{LastEventID: ev[0].ID - 1}); err != nil {
		t.Fatal(err)
	}
	ev, _ = db.PendingEvents(ctx, 10)
	st, _ = db.OutboxStats(ctx)
	if len(ev) != 0 || st.Events != 0 {
		t.Fatalf("after confirm: events %v, stats %+v", ev, st)
	}
}

func TestAlertsIdempotentAndAcked(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	rvInsert(t, db, obRecord(1, mark.Accept, 77))
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	a := mark.ReuseAlert{ID: 12, RecordID: "0190-0001", Serial: 77, OtherTerminal: "office-2",
		Other: mark.Acceptance{RecordID: "x-9", At: at, Office: 101000, Counter: "7"}, Detected: at.Add(time.Hour)}
	for range 2 { // the same alert twice (a lost response repeated) is stored once
		if err := db.CompleteUpload(ctx, UploadDone{Alerts: []mark.ReuseAlert{a}}); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := db.ListAlerts(ctx, 10, 0)
	if err != nil || total != 1 || len(list) != 1 {
		t.Fatalf("alerts = %v total %d err %v", list, total, err)
	}
	if got := list[0]; got.Serial != 77 || got.Other.Office != 101000 || !got.Other.At.Equal(at) || got.OtherTerminal != "office-2" {
		t.Fatalf("alert = %+v", got)
	}
	un, _ := db.UnackedAlerts(ctx)
	if len(un) != 1 || un[0] != 12 {
		t.Fatalf("unacked = %v", un)
	}
	if err := db.CompleteUpload(ctx, UploadDone{Acked: un}); err != nil {
		t.Fatal(err)
	}
	if un, _ = db.UnackedAlerts(ctx); len(un) != 0 {
		t.Fatalf("unacked after ack = %v", un)
	}
	per, err := db.AlertsFor(ctx, "0190-0001")
	if err != nil || len(per) != 1 {
		t.Fatalf("AlertsFor = %v, %v", per, err)
	}
}

func TestSyncState(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	if _, ok, err := db.SyncState(ctx, StateBundleVersion); ok || err != nil {
		t.Fatalf("unset: ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"3", "4"} {
		if err := db.SetSyncState(ctx, StateBundleVersion, v); err != nil {
			t.Fatal(err)
		}
	}
	if v, ok, _ := db.SyncState(ctx, StateBundleVersion); !ok || v != "4" {
		t.Fatalf("got %q %v", v, ok)
	}
}
