package sync

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestListsLimitsMetrics: the counter's sync.freshness_warn and
// sync.freshness_hard are on /metrics beside the lists' age, so
// MarkdListsStale fires at this counter's own limits, not a fixed 72 h (a
// counter warned at 24 h and refusing acceptances at 48 h gave no alert
// until 72 h).
func TestListsLimitsMetrics(t *testing.T) {
	e := newPollEnv(t, "", 24*time.Hour, 48*time.Hour)
	reg := prometheus.NewRegistry()
	if _, err := NewPoller(context.Background(), e.db, newClient(t, e.col.srv.URL, "office-a"), HolderApplier(e.holder, nil),
		PollerOptions{Key: e.pub, Dir: e.dir, Warn: 24 * time.Hour, Hard: 48 * time.Hour, Now: func() time.Time { return e.now }}, nil, reg); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"markd_sync_lists_warn_seconds": 24 * 3600, "markd_sync_lists_hard_seconds": 48 * 3600} {
		if got := gauge(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
