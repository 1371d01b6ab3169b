package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openStream opens a live stream as c (its cookies) with hdr and returns
// the answer with its body open; the test's end closes it.
func (c *client) openStream(ctx context.Context, path string, hdr map[string]string) *http.Response {
	c.e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", c.e.ts.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	c.e.t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestLiveStreamsPerHolder: one login or one API token opens at most
// MaxStreams live streams (/operator/live and /events together) at once;
// the next is 429 with Retry-After naming whose streams, and a stream
// ended frees its place. Before (red team, 26th stop) there was no bound:
// each stream is a goroutine, a subscription the pipeline hands every
// verdict to, and a store read a second (the account or token check), so
// one logged-in client looping EventSource opens had all of them.
func TestLiveStreamsPerHolder(t *testing.T) {
	e := newAPIEnv(t)
	op := e.client()
	op.login(opName, opPass)
	other := e.client()
	other.login(opName, opPass) // the same person in a second browser
	sup := e.client()
	sup.login(supName, supPass)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tok := map[string]string{"Authorization": "Bearer " + e.token}

	var first *http.Response
	for i := range MaxStreams {
		c, path := op, "/operator/live"
		if i%2 == 1 {
			c, path = other, "/events"
		}
		res := c.openStream(ctx, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d of %s: %d, want 200", i+1, path, res.StatusCode)
		}
		if first == nil {
			first = res
		}
	}
	for _, path := range []string{"/operator/live", "/events"} {
		res := op.openStream(ctx, path, nil)
		var body [512]byte
		n, _ := res.Body.Read(body[:])
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(string(body[:n]), opName) {
			t.Fatalf("stream %d of %s: %d, Retry-After %q: %s; want 429 naming %s", MaxStreams+1, path,
				res.StatusCode, res.Header.Get("Retry-After"), body[:n], opName)
		}
	}
	// Others are not held by them: another user, the program's token.
	if res := sup.openStream(ctx, "/operator/live", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the supervisor's stream: %d", res.StatusCode)
	}
	for i := range MaxStreams {
		if res := e.client().openStream(ctx, "/events", tok); res.StatusCode != http.StatusOK {
			t.Fatalf("token stream %d: %d", i+1, res.StatusCode)
		}
	}
	if res := e.client().openStream(ctx, "/events", tok); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("token stream %d: %d, want 429", MaxStreams+1, res.StatusCode)
	}
	// A stream closed frees its place.
	first.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res := op.openStream(ctx, "/operator/live", nil)
		if res.StatusCode == http.StatusOK {
			break
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("after a stream closed: %d, want 200", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
