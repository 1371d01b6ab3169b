package hubtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
)

// countLookups is the real store with its token lookups counted.
type countLookups struct {
	hub.Store
	lookups atomic.Int64
}

func (c *countLookups) TerminalByTokenHash(ctx context.Context, hash string) (hub.Terminal, error) {
	c.lookups.Add(1)
	return c.Store.TerminalByTokenHash(ctx, hash)
}

// labelled is the value of name{label=value} in reg (0 when absent).
func labelled(t *testing.T, reg prometheus.Gatherer, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// getWith sends GET path with the bearer token tok.
func getWith(t *testing.T, url, path, tok string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// runAuthFlood holds a flood of made-up tokens to a bounded number of
// store lookups: a malformed token costs none, an unknown one asked again
// within a minute none, and an address past auth_failures_per_addr
// failed lookups gets 429 with Retry-After and no lookup, while a good
// token keeps working until then and the address gets its budget back
// over the minute.
func runAuthFlood(t *testing.T, open Opener) {
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	start := func(t *testing.T, perAddr int) (*countLookups, *prometheus.Registry, string) {
		s := &countLookups{Store: openWithTerminals(t, open, "office-a")}
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return t0 },
			LimitClock: now, AuthFailuresPerAddr: perAddr}).Handler())
		t.Cleanup(srv.Close)
		return s, reg, srv.URL
	}
	t.Run("N distinct made-up tokens cost at most auth_failures_per_addr lookups", func(t *testing.T) {
		const limit, n = 10, 60
		s, reg, url := start(t, limit)
		if code, _, body := getWith(t, url, "/v1/serials", "tok-office-a"); code != http.StatusOK {
			t.Fatalf("the good token first: %d %s", code, body)
		}
		var unauthorized, tooMany int
		for i := range n {
			code, h, body := getWith(t, url, "/v1/serials", fmt.Sprintf("mkt_madeup%040d", i))
			switch code {
			case http.StatusUnauthorized:
				unauthorized++
			case http.StatusTooManyRequests:
				tooMany++
				if h.Get("Retry-After") != "6" || !strings.Contains(body, "127.0.0.1") {
					t.Fatalf("made-up token %d: 429 Retry-After %q %s; want Retry-After 6 (one failure in 60/%d s) naming the address",
						i, h.Get("Retry-After"), body, limit)
				}
			default:
				t.Fatalf("made-up token %d: %d %s", i, code, body)
			}
		}
		if got := s.lookups.Load(); got > limit+1 {
			t.Errorf("%d made-up tokens cost %d store lookups; want at most %d (the good token's and %d failures)", n, got, limit+1, limit)
		}
		if unauthorized != limit || tooMany != n-limit {
			t.Errorf("%d answered 401, %d 429; want %d and %d", unauthorized, tooMany, limit, n-limit)
		}
		if v := labelled(t, reg, "markhub_auth_refused_total", "reason", "addr_limit"); v != n-limit {
			t.Errorf("markhub_auth_refused_total{reason=addr_limit} %v, want %d", v, n-limit)
		}
		if v := labelled(t, reg, "markhub_auth_refused_total", "reason", "unknown"); v != limit {
			t.Errorf("markhub_auth_refused_total{reason=unknown} %v, want %d", v, limit)
		}
		mu.Lock()
		clock = clock.Add(6 * time.Second)
		mu.Unlock()
		if code, _, body := getWith(t, url, "/v1/serials", "tok-office-a"); code != http.StatusOK {
			t.Errorf("the good token after Retry-After: %d %s", code, body)
		}
	})
	t.Run("the same unknown token again within a minute costs no lookup", func(t *testing.T) {
		s, reg, url := start(t, -1)
		for range 20 {
			if code, _, body := getWith(t, url, "/v1/bundle", "mkt_stale-token"); code != http.StatusUnauthorized {
				t.Fatalf("a stale token: %d %s, want 401", code, body)
			}
		}
		if got := s.lookups.Load(); got != 1 {
			t.Errorf("20 requests with one unknown token cost %d lookups, want 1", got)
		}
		if v := labelled(t, reg, "markhub_auth_refused_total", "reason", "cached"); v != 19 {
			t.Errorf("markhub_auth_refused_total{reason=cached} %v, want 19", v)
		}
		mu.Lock()
		clock = clock.Add(time.Minute)
		mu.Unlock()
		getWith(t, url, "/v1/bundle", "mkt_stale-token")
		if got := s.lookups.Load(); got != 2 {
			t.Errorf("after a minute: %d lookups, want 2 (the cache entry lapsed)", got)
		}
	})
	t.Run("a token of no token's form costs no lookup", func(t *testing.T) {
		s, reg, url := start(t, -1)
		for _, tok := range []string{strings.Repeat("a", 300), "tok office", "tok\tx", "tok;x", "===", "tok\u202e"} {
			if code, _, body := getWith(t, url, "/v1/questioned", tok); code != http.StatusUnauthorized || !strings.Contains(body, "token") {
				t.Errorf("token %q: %d %s, want 401 naming the token", tok, code, body)
			}
		}
		if got := s.lookups.Load(); got != 0 {
			t.Errorf("malformed tokens cost %d lookups, want 0", got)
		}
		if v := labelled(t, reg, "markhub_auth_refused_total", "reason", "form"); v != 6 {
			t.Errorf("markhub_auth_refused_total{reason=form} %v, want 6", v)
		}
		if code, _, body := getWith(t, url, "/v1/serials", "tok-office-a"); code != http.StatusOK {
			t.Errorf("the good token: %d %s", code, body)
		}
	})
}

// runReadLimit holds a terminal's reads (GET /v1/bundle, /v1/serials,
// /v1/questioned) to one budget per terminal, apart from its uploads:
// past it each is 429 with Retry-After naming the terminal, counted,
// while its uploads and another terminal's reads go on, and after
// Retry-After it reads again.
func runReadLimit(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	reg := prometheus.NewRegistry()
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return t0.Add(time.Hour) },
		ReadRate: 0.25, ReadBurst: 3, LimitClock: now}).Handler())
	t.Cleanup(srv.Close)
	paths := []string{"/v1/bundle", "/v1/serials", "/v1/questioned"}
	for _, p := range paths {
		if code, _, body := getWith(t, srv.URL, p, "tok-office-a"); code >= 300 {
			t.Fatalf("%s within the burst of 3: %d %s", p, code, body)
		}
	}
	for _, p := range paths {
		code, h, body := getWith(t, srv.URL, p, "tok-office-a")
		if code != http.StatusTooManyRequests || h.Get("Retry-After") != "4" || !strings.Contains(body, "office-a") {
			t.Errorf("%s past the burst: %d Retry-After %q %s; want 429, Retry-After 4 (one read in 4 s), naming the terminal",
				p, code, h.Get("Retry-After"), body)
		}
	}
	if v := labelled(t, reg, "markhub_uploads_limited_total", "limit", "read_rate"); v != 3 {
		t.Errorf("markhub_uploads_limited_total{limit=read_rate} %v, want 3", v)
	}
	if code, _, body := getWith(t, srv.URL, "/v1/serials", "tok-office-b"); code != http.StatusOK {
		t.Errorf("another terminal's read meanwhile: %d %s", code, body)
	}
	b := []byte(`{"records":[]}`)
	if code, _, raw := postUpload(t, srv.URL, "office-a", b); code != http.StatusOK {
		t.Errorf("the terminal's upload meanwhile: %d %s (reads have their own budget)", code, raw)
	}
	mu.Lock()
	clock = clock.Add(4 * time.Second)
	mu.Unlock()
	if code, _, body := getWith(t, srv.URL, "/v1/questioned", "tok-office-a"); code != http.StatusOK {
		t.Errorf("after Retry-After: %d %s", code, body)
	}
}
