package sync

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/mark"
)

// TestLastSuccessKeptAcrossRestart: markd_sync_last_success_timestamp_seconds
// (and /healthz last_success) after a restart is the last upload the
// collector confirmed before it, read from the store, not 0: with 0 a
// counter restarted while the collector was away raised MarkdCounterSilent
// ten minutes later, "not uploaded for 56 years".
func TestLastSuccessKeptAcrossRestart(t *testing.T) {
	col := newCollector(t, "office-a")
	db := openCounter(t)
	now := day0.Add(time.Hour)
	clock := func() time.Time { return now }
	open := func(url string) (*Service, *prometheus.Registry) {
		t.Helper()
		reg := prometheus.NewRegistry()
		svc, err := New(context.Background(), db, Options{
			Client: ClientOptions{URL: url, Token: "tok-office-a", Timeout: 5 * time.Second},
			Upload: UploaderOptions{BatchSize: 100, BatchAge: time.Millisecond},
			Now:    clock,
		}, nil, quiet, reg)
		if err != nil {
			t.Fatal(err)
		}
		return svc, reg
	}
	svc, reg := open(col.srv.URL)
	if got := gauge(t, reg, "markd_sync_last_success_timestamp_seconds"); got != 0 {
		t.Fatalf("before any upload: %v", got)
	}
	addScan(t, db, "1", 426000, mark.Accept, 1, day0)
	if _, _, err := svc.Uploader.Once(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	uploaded := now
	if got := gauge(t, reg, "markd_sync_last_success_timestamp_seconds"); got != float64(uploaded.Unix()) {
		t.Fatalf("after the upload: %v, want %v", got, uploaded.Unix())
	}

	// Restarted two hours later, the collector gone.
	now = now.Add(2 * time.Hour)
	svc, reg = open("http://127.0.0.1:9")
	if got := gauge(t, reg, "markd_sync_last_success_timestamp_seconds"); got != float64(uploaded.Unix()) {
		t.Errorf("after a restart: %v, want the last upload %v", got, uploaded.Unix())
	}
	if st := svc.Uploader.Status(context.Background()); st.LastSuccess == nil || !st.LastSuccess.Equal(uploaded) {
		t.Errorf("healthz last_success after a restart = %v, want %v", st.LastSuccess, uploaded)
	}
}
