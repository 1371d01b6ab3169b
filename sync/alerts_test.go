package sync

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/syncbuf"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// acceptAll stores n accepted scans of serials from base in one
// transaction, through the store's write path.
func acceptAll(t *testing.T, n int, base uint64, office uint32) *store.DB {
	t.Helper()
	db := openCounter(t)
	recs := make([]*mark.Record, n)
	for i := range recs {
		m := hubtest.TestMark(base+uint64(i), office)
		recs[i] = &mark.Record{At: day0, Office: office, Counter: "1", Source: "stdin", Text: hubtest.Sign(m), Mark: &m,
			Verdict: mark.Accept, Reasons: []mark.Reason{}, Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"}}
	}
	storetest.Save(t, db, 0, recs...)
	return db
}

// TestBacklogReuseAlertsAllArrive: a counter back from days offline
// uploads a backlog in which more serials than one answer carries
// (hub.MaxAlertsSent) were accepted at another office first. Every alert
// reaches the counter's store (for the review page) by the end of the
// drain, each is logged once as REUSE ALERT, and none is left
// unacknowledged at the collector. Before, the backlog's requests
// acknowledged nothing, so every answer carried the same first 1000
// alerts again (stored and logged again each time) and the drain ended
// with the rest still at the collector.
func TestBacklogReuseAlertsAllArrive(t *testing.T) {
	ctx := context.Background()
	n := 2*hub.MaxAlertsSent + 100
	col := newCollector(t, "office-a", "office-b")
	first := acceptAll(t, n, 1, 101000) // office B accepted them first
	if err := NewUploader(first, newClient(t, col.srv.URL, "office-b"), UploaderOptions{BatchSize: 500}, quiet, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	db := acceptAll(t, n, 1, 426000)
	var logged syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 100}, log, nil)
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, total, err := db.ListAlerts(ctx, 1, 0); err != nil || total != n {
		t.Fatalf("the counter holds %d alerts (%v), want %d", total, err, n)
	}
	if got := strings.Count(logged.String(), "REUSE ALERT"); got != n {
		t.Errorf("REUSE ALERT logged %d times for %d alerts", got, n)
	}
	if p := u.Progress(); p.Alerts != n || p.Uploaded != n {
		t.Errorf("progress %+v, want %d uploaded and %d alerts", p, n, n)
	}
	// Nothing left at the collector: one more request hears of no alert.
	resp, err := newClient(t, col.srv.URL, "office-a").Upload(ctx, []byte(`{"records":[],"events":[],"ack_alerts":[]}`), -1)
	if err != nil || len(resp.Alerts) != 0 {
		t.Fatalf("alerts still unacknowledged at the collector: %d (%v)", len(resp.Alerts), err)
	}
}
