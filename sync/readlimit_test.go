package sync

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
)

// limitedCollector is a real markhub whose terminals may read once (a
// burst of 1) and then once in 100 s: its 429s ask Retry-After: 100.
// The one read of the burst is spent, so the counter's next read is 429.
// It returns the URL and the count of reads it answered 429.
func limitedCollector(t *testing.T) (string, func() float64) {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddTerminal(context.Background(), hubtest.Terminal("office-a")); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	hs := httptest.NewServer(hub.NewServer(st, hub.ServerOptions{Registry: reg, ReadRate: 0.01, ReadBurst: 1}).Handler())
	t.Cleanup(hs.Close)
	srv := hs.URL
	req, _ := http.NewRequest(http.MethodGet, srv+"/v1/bundle", nil)
	req.Header.Set("Authorization", "Bearer tok-office-a")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	refused := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "markhub_uploads_limited_total" {
				for _, m := range mf.GetMetric() {
					if l := m.GetLabel(); len(l) == 1 && l[0].GetValue() == "read_rate" {
						return m.GetCounter().GetValue()
					}
				}
			}
		}
		return 0
	}
	return srv, refused
}

// TestReadsWaitRetryAfter: the counter's bundle poll, history restore
// and questions pull, answered 429 with Retry-After by a real markhub,
// ask again no sooner than it says (each retried on its own schedule
// before: every poll interval, after 1 s doubling, every interval).
func TestReadsWaitRetryAfter(t *testing.T) {
	t.Run("bundle poll", func(t *testing.T) {
		url, refused := limitedCollector(t)
		e := newPollEnv(t, url, time.Hour, 2*time.Hour)
		e.poller.interval = 20 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		e.poller.Serve(ctx) //nolint:errcheck // ends with ctx
		if n := refused(); n != 1 {
			t.Errorf("polls every 20 ms for 300 ms after a 429 asking 100 s: %v refused, want 1", n)
		}
	})
	t.Run("history restore", func(t *testing.T) {
		url, refused := limitedCollector(t)
		r, err := NewRestorer(context.Background(), openCounter(t), newClient(t, url, "office-a"), quiet)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		r.serveRestore(ctx) //nolint:errcheck // ends with ctx
		if n := refused(); n != 1 {
			t.Errorf("restore for 1.5 s after a 429 asking 100 s: %v refused, want 1", n)
		}
	})
	t.Run("questions pull", func(t *testing.T) {
		url, refused := limitedCollector(t)
		u := NewUploader(openCounter(t), newClient(t, url, "office-a"), UploaderOptions{Interval: time.Minute, Now: func() time.Time { return day0 }}, quiet, nil)
		u.questions.takes = true
		u.pullQuestions(context.Background(), day0)
		u.pullQuestions(context.Background(), day0.Add(61*time.Second))
		if n := refused(); n != 1 {
			t.Errorf("a pull 61 s after a 429 asking 100 s: %v refused, want 1 (not asked before 100 s)", n)
		}
		u.pullQuestions(context.Background(), day0.Add(101*time.Second))
		if n := refused(); n != 2 {
			t.Errorf("a pull 101 s after it: %v refused, want 2 (asked again)", n)
		}
	})
}
