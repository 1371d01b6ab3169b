package hub_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
)

// stuckStore is a store that never answers before its caller gives up (a
// frozen database): the lookup of token "stuck", and every upload.
type stuckStore struct{ hub.Store }

func (stuckStore) TerminalByTokenHash(ctx context.Context, hash string) (hub.Terminal, error) {
	if hash != hub.HashToken("stuck") {
		return hub.Terminal{Name: "office-a", Office: 426000}, nil
	}
	<-ctx.Done()
	return hub.Terminal{}, hub.Unavailable("read terminal", ctx.Err())
}

func (stuckStore) Bundles(context.Context, uint64) ([]hub.StoredBundle, error) { return nil, nil }

func (stuckStore) NoteClock(context.Context, string, time.Duration, time.Time) error { return nil }

func (stuckStore) Ingest(ctx context.Context, _ string, _ *hub.UploadRequest, _ time.Time) (hub.UploadResponse, error) {
	<-ctx.Done()
	return hub.UploadResponse{}, hub.Unavailable("insert records", ctx.Err())
}

func (stuckStore) Check(ctx context.Context) (hub.StoreCheck, error) {
	<-ctx.Done()
	return hub.StoreCheck{}, hub.Unavailable("health check", ctx.Err())
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestStuckStoreAndCancel: a request whose store call is stuck answers 503
// with Retry-After after the Check deadline (not when the client gives
// up), logged at error level; a request the client cancels itself is no
// error of the collector (debug line, counted as 499).
func TestStuckStoreAndCancel(t *testing.T) {
	var logs logBuf
	reg := prometheus.NewRegistry()
	// a stuck lookup meets the 200 ms check deadline; a request the client
	// cancels meets the minute-long write deadline only after its cancel
	api := hub.NewServer(stuckStore{}, hub.ServerOptions{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: reg, Timeouts: hub.Timeouts{Check: 200 * time.Millisecond, Write: time.Minute}})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	// Stuck: the deadline answers.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/upload", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer stuck")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("no answer from a stuck store: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
		t.Fatalf("stuck store: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a stuck store was not logged as an error:\n%s", logs.String())
	}

	// Cancelled by the client before the deadline (in the upload
	// transaction, where a counter's cancel meets the collector).
	before := strings.Count(logs.String(), "level=ERROR")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/upload", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer mkt_x")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "client gave up") {
		if time.Now().After(deadline) {
			t.Fatalf("no debug line for the cancel:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != before {
		t.Fatalf("a client's own cancel was logged as an error:\n%s", logs.String())
	}
	mfs, _ := reg.Gather()
	var found bool
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				found = found || (mf.GetName() == "markhub_requests_total" && l.GetValue() == "499")
			}
		}
	}
	if !found {
		t.Fatal("no markhub_requests_total{code=\"499\"}")
	}
}
