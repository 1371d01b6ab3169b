package sync

import (
	"context"
	"net/http"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// TestUploadReportsRecordsWaiting: every upload carries the outbox
// backlog besides its own records (X-Outbox-Records), the collector keeps
// the last one for its fleet page, and a drained counter reports 0.
func TestUploadReportsRecordsWaiting(t *testing.T) {
	col := newCollector(t, "office-a")
	var mu gosync.Mutex
	var seen [][]string
	next := col.api.Handler()
	col.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/upload" {
			mu.Lock()
			seen = append(seen, r.Header.Values(hub.HeaderWaiting))
			mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
	db := openCounter(t)
	for i := range 35 {
		addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0.Add(time.Duration(i)*time.Second))
	}
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, quiet, nil)
	if err := u.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 4 {
		t.Fatalf("%d uploads, want at least 4 for 35 records in batches of 10", len(seen))
	}
	var values []string
	for i, v := range seen {
		if len(v) != 1 {
			t.Fatalf("upload %d: %s %q, want one value", i, hub.HeaderWaiting, v)
		}
		values = append(values, v[0])
	}
	// Once sends the first 10 (25 left); the pump the next two (15, 5 left:
	// its answers may come in either order); Once the last 5 and the
	// closing empty request.
	if values[0] != "25" || !slices.Contains(values, "15") || !slices.Contains(values, "5") || values[len(values)-1] != "0" {
		t.Errorf("reported %v, want 25, 15, 5 (any order), then 0", values)
	}
	term, err := col.store.Terminal(context.Background(), "office-a")
	if err != nil {
		t.Fatal(err)
	}
	if term.Waiting != 0 || term.WaitingAt.IsZero() {
		t.Errorf("collector keeps %d at %v, want 0 reported", term.Waiting, term.WaitingAt)
	}
}
