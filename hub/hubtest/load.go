package hubtest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/internal/syncbuf"
	"markd/mark"
)

// countChecks is the real store with its health query counted: how many
// ran, and the most at once. Each is held a little, so requests that
// each ran their own would overlap.
type countChecks struct {
	hub.Store
	calls, now, most atomic.Int64
}

func (c *countChecks) Check(ctx context.Context) (hub.StoreCheck, error) {
	c.calls.Add(1)
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	time.Sleep(30 * time.Millisecond)
	return c.Store.Check(ctx)
}

// RunLoadSuite holds the collector to what an unauthenticated flood or a
// runaway terminal may cost it, over real HTTP on the backend: the health
// routes share one store query at a time and reuse its result briefly
// (hub.DefaultHealthMaxAge), a terminal's uploads and its reads over
// their rates are 429 with Retry-After, counted, while other terminals go
// on, and made-up bearer tokens cost a bounded number of store lookups
// (authflood.go).
func RunLoadSuite(t *testing.T, open Opener) {
	t.Run("made-up tokens", func(t *testing.T) { runAuthFlood(t, open) })
	t.Run("a terminal's reads over their rate are 429 with Retry-After", func(t *testing.T) { runReadLimit(t, open) })
	t.Run("a flood of the health routes runs one store query at a time", func(t *testing.T) {
		s := &countChecks{Store: openWithTerminals(t, open, "office-a")}
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return t0 }}).Handler())
		t.Cleanup(srv.Close)
		paths := []string{"/healthz", "/healthz/ready", "/metrics"}
		const n = 50
		var wg sync.WaitGroup
		gate := make(chan struct{})
		codes, bodies := make([]int, n), make([]string, n)
		for i := range n {
			wg.Go(func() {
				<-gate
				resp, err := http.Get(srv.URL + paths[i%len(paths)])
				if err != nil {
					t.Error(err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				codes[i], bodies[i] = resp.StatusCode, string(raw)
			})
		}
		began := time.Now()
		close(gate)
		wg.Wait()
		took := time.Since(began)
		for i := range n {
			p := paths[i%len(paths)]
			if codes[i] != http.StatusOK {
				t.Errorf("%s: %d %s", p, codes[i], bodies[i])
			}
			if p == "/metrics" && !strings.Contains(bodies[i], "markhub_records_disputed_open 0") {
				t.Errorf("/metrics without the gauge the health query gives:\n%.300s", bodies[i])
			}
		}
		// One query per max age at most, and never two at once.
		allowed := 1 + int64(took/hub.DefaultHealthMaxAge)
		t.Logf("%d requests in %v: %d store queries, at most %d at once", n, took.Round(time.Millisecond), s.calls.Load(), s.most.Load())
		if got := s.calls.Load(); got > allowed || s.most.Load() != 1 {
			t.Errorf("%d requests at once ran %d health queries, up to %d at once; want at most %d, one at a time",
				n, got, s.most.Load(), allowed)
		}
		// Past the max age the next request asks the store again and
		// sees what changed.
		Publish(t, s.Store)
		time.Sleep(hub.DefaultHealthMaxAge + 20*time.Millisecond)
		before := s.calls.Load()
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var h hub.Health
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil || h.Bundle == nil || h.Bundle.Version != 1 || s.calls.Load() != before+1 {
			t.Errorf("after %v: bundle %+v (%v), %d queries more; want bundle 1 by one new query",
				hub.DefaultHealthMaxAge, h.Bundle, err, s.calls.Load()-before)
		}
	})

	t.Run("a terminal's uploads over its rate are 429 with Retry-After", func(t *testing.T) {
		s := openWithTerminals(t, open, "office-a", "office-b")
		reg := prometheus.NewRegistry()
		var mu sync.Mutex
		clock := t0
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		logs := &syncbuf.Buffer{} // the server writes it while the test reads it
		srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return t0.Add(time.Hour) },
			UploadRate: 0.5, UploadBurst: 3, LimitClock: now, Log: slog.New(slog.NewTextHandler(logs, nil))}).Handler())
		t.Cleanup(srv.Close)
		body := func(id string, office uint32) []byte {
			b, _ := json.Marshal(hub.UploadRequest{Records: []hub.Record{Rec(id, office, "1", mark.NotAMark, 0)}})
			return b
		}
		for i := range 3 {
			if code, _, raw := postUpload(t, srv.URL, "office-a", body("rate-"+string(rune('a'+i)), 426000)); code != http.StatusOK {
				t.Fatalf("upload %d of the burst of 3: %d %s", i+1, code, raw)
			}
		}
		code, h, raw := postUpload(t, srv.URL, "office-a", body("rate-over", 426000))
		var e hub.ErrorResponse
		_ = json.Unmarshal(raw, &e)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") != "2" || !strings.Contains(e.Error, "office-a") {
			t.Fatalf("the 4th upload at once: %d Retry-After %q %s; want 429, Retry-After 2 (one upload in 2 s), naming the terminal",
				code, h.Get("Retry-After"), raw)
		}
		if v := metric(t, reg, "markhub_uploads_limited_total"); v != 1 {
			t.Errorf("markhub_uploads_limited_total %v, want 1", v)
		}
		if _, err := s.Record(context.Background(), "office-a", "rate-over"); err == nil {
			t.Errorf("the refused upload's record was stored")
		}
		if code, _, raw := postUpload(t, srv.URL, "office-b", body("rate-b", 101000)); code != http.StatusOK {
			t.Errorf("another terminal meanwhile: %d %s", code, raw)
		}
		mu.Lock()
		clock = clock.Add(2 * time.Second)
		mu.Unlock()
		if code, _, raw := postUpload(t, srv.URL, "office-a", body("rate-over", 426000)); code != http.StatusOK {
			t.Errorf("after Retry-After: %d %s", code, raw)
		}
		if code, _, _ := postUpload(t, srv.URL, "office-a", body("rate-again", 426000)); code != http.StatusTooManyRequests {
			t.Errorf("the next at once: %d, want 429 (the bucket took one upload in 2 s)", code)
		}
		// One log line naming the terminal for the refusals of a minute.
		if l := logs.String(); strings.Count(l, "over its rate") != 1 || !strings.Contains(l, "terminal=office-a") {
			t.Errorf("log of two refusals 2 s apart, want one line naming office-a:\n%s", l)
		}
	})
}
