package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/mark"
)

// goneLog is a log the server writes while the test reads it.
type goneLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *goneLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *goneLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// goneSendListener gives every accepted connection a 4 KiB send buffer:
// the server's writes wait on the client as over a slow line, instead of
// the whole export going into loopback's megabytes of buffer.
type goneSendListener struct{ net.Listener }

func (l goneSendListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096) //nolint:errcheck // a smaller buffer only speeds the test up
	}
	return c, err
}

// TestReviewCSVClientGone: a supervisor's program reads the first 64 KiB
// of /review/export.csv (2000 rejected marks, about 1.5 MB, over a
// connection with 4 KiB buffers at both ends) and closes the connection.
// The export is broken off (http.ErrAbortHandler), the log names it and
// the rows written, no goroutine of it is left, and the pages serve on:
// the same export read whole after it.
func TestReviewCSVClientGone(t *testing.T) {
	logs := &goneLog{}
	e := newEnv(t, func(o *Options) { o.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	const n = 2000
	recs := make([]*mark.Record, n)
	for i := range recs {
		id := fmt.Sprintf("gone-%05d", i)
		recs[i] = &mark.Record{ID: id, At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
			Text: "EPM1:" + id + strings.Repeat("x", 400), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(uint64(50000 + i))}
	}
	if err := e.db.SaveBatch(context.Background(), recs, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	sup := e.client()
	sup.login(supName, supPass)
	base, _ := url.Parse(e.ts.URL)
	cookies := sup.hc.Jar.Cookies(base)

	// The same pages on a server whose connections have a small send buffer.
	ts := httptest.NewUnstartedServer(e.srv.Handler(http.NotFoundHandler()))
	ts.Listener = goneSendListener{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	get := func(small bool) *http.Response {
		t.Helper()
		d := &net.Dialer{}
		tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok && small {
				tc.SetReadBuffer(4096) //nolint:errcheck // as above
			}
			return c, err
		}}
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/review/export.csv", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("/review/export.csv: %d %.300s", resp.StatusCode, b)
		}
		return resp
	}
	goroutines := func() int {
		var b bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&b, 1) //nolint:errcheck // a bytes.Buffer
		return strings.Count(b.String(), "reviewCSV")
	}
	sup.hc.CloseIdleConnections()
	runtime.GC()
	before := runtime.NumGoroutine()

	resp := get(true)
	part := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, part); err != nil {
		t.Fatalf("the first 64 KiB: %v", err)
	}
	resp.Body.Close() // the rest unread: the connection is closed

	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "CSV export broken off") || goroutines() > 0 || runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("20 s after the client went: %d goroutines of the export, %d in all (%d before); log:\n%s",
				goroutines(), runtime.NumGoroutine(), before, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := logs.String(); !strings.Contains(l, `export="rejected marks"`) || !strings.Contains(l, "rows_written=") {
		t.Errorf("the log does not name the export and the rows written:\n%s", l)
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "CSV export broken off") {
			t.Logf("log: %s", l)
		}
	}

	whole := get(false)
	body, err := io.ReadAll(whole.Body)
	whole.Body.Close()
	if err != nil || strings.Count(string(body), "\n") != n+1 {
		t.Fatalf("the export after: %d lines, %v; want %d rows and the header", strings.Count(string(body), "\n"), err, n)
	}
}
