package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	gosync "sync/atomic"
	"testing"

	"markd/hub"
	"markd/mark"
	"markd/store"
)

// brokenCollector is the real collector behind a server that, while
// broken is set, refuses the record with id bad (400 naming it, as a
// collector with a fault on its side would); it counts those refusals.
func brokenCollector(t *testing.T, col *collector, bad string, broken *gosync.Bool, refusals *gosync.Int32) string {
	t.Helper()
	h := col.api.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var q hub.UploadRequest
		if broken.Load() && json.Unmarshal(body, &q) == nil {
			for i, rec := range q.Records {
				if rec.ID == bad {
					refusals.Add(1)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"code":"invalid","error":"mark text not understood","field":"records[%d].text"}`, i)
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestResendSetAside: a record the collector refuses (a fault on its
// side) is set aside with when and the collector's answer, and so is the
// supervisor's decision on it (the collector does not know the record).
// Sent again while the fault lasts, it is refused once more and set aside
// again: one try, no loop. Sent again after the fault is mended, the
// record and then the decision reach the collector, nothing stays set
// aside, and the audit names who sent them again.
func TestResendSetAside(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	bad := addScan(t, db, "1", 426000, mark.Reject, 5, day0)
	good := addScan(t, db, "1", 426000, mark.Accept, 6, day0)
	var broken gosync.Bool
	var refusals gosync.Int32
	broken.Store(true)
	u := NewUploader(db, newClient(t, brokenCollector(t, col, bad, &broken, &refusals), "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.ConfirmRejection(ctx, bad, "boss", "torn"); err != nil {
		t.Fatal(err)
	}
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListSetAside(ctx, 0, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("set aside %+v %v, want the record and the decision", list, err)
	}
	ev, rec := list[0], list[1] // newest first
	if rec.Kind != store.SetAsideRecord || rec.Ref != bad || rec.Record == nil || rec.Record.Mark == nil || rec.Record.Mark.Serial != 5 ||
		rec.Status != http.StatusBadRequest || rec.Field != "records[0].text" || rec.Reason != "mark text not understood" ||
		!rec.RefusedAt.Equal(db.Now()) {
		t.Fatalf("set-aside record %+v", rec)
	}
	if ev.Kind != store.SetAsideEvent || ev.Event == nil || ev.Event.RecordID != bad || ev.Event.Action != store.ActionConfirm ||
		ev.Status != http.StatusBadRequest || ev.Field == "" || ev.Reason == "" {
		t.Fatalf("set-aside decision %+v (event %+v)", ev, ev.Event)
	}
	if n, err := db.CountSetAside(ctx); err != nil || n != 2 {
		t.Fatalf("count %d %v", n, err)
	}
	if page, err := db.ListSetAside(ctx, ev.Seq, 10); err != nil || len(page) != 1 || page[0].Seq != rec.Seq {
		t.Fatalf("page after seq %d: %+v %v", ev.Seq, page, err)
	}

	// Sent again while the collector still refuses it: one more refusal.
	if n, err := db.ResendSetAside(ctx, "boss", 0); err != nil || n != 2 {
		t.Fatalf("resend all: %d %v", n, err)
	}
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := refusals.Load(); got != 2 {
		t.Fatalf("collector refused the record %d times, want 2 (once more after the resend, no loop)", got)
	}
	if n, _ := db.CountSetAside(ctx); n != 2 {
		t.Fatalf("%d set aside after the refused resend, want the record and the decision again", n)
	}

	// Mended: sent again, both reach the collector.
	broken.Store(false)
	if n, err := db.ResendSetAside(ctx, "boss", 0); err != nil || n != 2 {
		t.Fatalf("resend all: %d %v", n, err)
	}
	if _, err := db.ResendSetAside(ctx, "boss", 1<<40); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("resend of a seq not set aside: %v, want ErrNotFound", err)
	}
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountSetAside(ctx); n != 0 {
		t.Fatalf("%d still set aside after the collector was mended", n)
	}
	for _, id := range []string{bad, good} {
		if _, err := col.store.Record(ctx, "office-a", id); err != nil {
			t.Fatalf("record %s at the collector: %v", id, err)
		}
	}
	if r, err := col.store.Record(ctx, "office-a", bad); err != nil || r.Review != mark.ReviewConfirmed {
		t.Fatalf("decision on the resent record at the collector: %q %v", r.Review, err)
	}
	audit, err := db.AuditFor(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	resent := 0
	for _, e := range audit {
		if e.Action == store.ActionResendRefused && e.Actor == "boss" {
			resent++
		}
	}
	if resent != 4 { // record and decision, twice
		t.Fatalf("audit of the record %+v: %d resend lines by boss, want 4", audit, resent)
	}
}
