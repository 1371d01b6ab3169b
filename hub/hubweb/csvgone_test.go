package hubweb_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"markd/internal/syncbuf"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/internal/testdata"
	"markd/mark"
)

// smallWindowClient reads through connections with a 4 KiB receive
// buffer, kept alive for none: the server's writes block as soon as the
// client stops reading.
func smallWindowClient() *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4096) //nolint:errcheck // a smaller window only speeds the test up
			}
			return c, err
		}}}
}

// smallSendListener gives every accepted connection a 4 KiB send
// buffer: the server's writes wait on the client as over a slow line,
// instead of the whole export going into loopback's megabytes of buffer.
type smallSendListener struct{ net.Listener }

func (l smallSendListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096) //nolint:errcheck // as above
	}
	return c, err
}

// exportGoroutines counts the goroutines whose stack is in handler.
func exportGoroutines(handler string) int {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1) //nolint:errcheck // a bytes.Buffer
	return strings.Count(b.String(), handler)
}

// TestDisputedCSVClientGone: a supervisor's program reads the first
// 64 KiB of a /disputed.csv of 2000 rows (about 500 KB, over a
// connection with 4 KiB buffers at both ends) and closes the
// connection. The export is broken off (http.ErrAbortHandler), the log
// says so with the rows written, no goroutine of it is left, and the
// pages serve on: the same export read whole after it. On SQLite and
// PostgreSQL.
func TestDisputedCSVClientGone(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := regionalStore(t, backend)
			st, ok := s.(hub.Store)
			if !ok {
				t.Fatalf("%s: the regional store is no hub.Store", backend)
			}
			now := testdata.Now()
			if err := st.AddTerminal(ctx, hub.Terminal{Name: "office-a", Office: 426000, Created: now.AddDate(0, -1, 0)}); err != nil {
				t.Fatal(err)
			}
			const n = 2000
			recs := make([]hub.Record, n)
			for i := range recs {
				recs[i] = hubtest.Rec(fmt.Sprintf("gone-%05d", i), 426000, "1", mark.Accept, uint64(90000+i))
				recs[i].At = now.Add(-time.Hour)
				recs[i].Disputed, recs[i].Why = []mark.Reason{mark.ReasonExpired}, "EXPIRED: the mark's last day was 2026-11-20 "+strings.Repeat("·", 60)
			}
			if r, err := st.Ingest(ctx, "office-a", &hub.UploadRequest{Records: recs}, now); err != nil || r.Disputed != n {
				t.Fatalf("ingest: %+v %v", r, err)
			}
			addSupervisor(t, s, now)
			addSession(t, s, "gone-token", now)
			logs := &syncbuf.Buffer{}
			pages, err := hubweb.New(hubweb.Options{Store: s, Log: slog.New(slog.NewTextHandler(logs, nil)), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(pages.Handler())
			srv.Listener = smallSendListener{srv.Listener}
			srv.Start()
			t.Cleanup(srv.Close)
			get := func(cl *http.Client) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/disputed.csv", nil)
				req.AddCookie(&http.Cookie{Name: "markhub_session", Value: "gone-token"})
				resp, err := cl.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			runtime.GC()
			before := runtime.NumGoroutine()

			resp := get(smallWindowClient())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/disputed.csv: %d", resp.StatusCode)
			}
			part := make([]byte, 64<<10)
			if _, err := io.ReadFull(resp.Body, part); err != nil {
				t.Fatalf("the first 64 KiB: %v", err)
			}
			resp.Body.Close() // the rest unread: the connection is closed

			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(logs.String(), "CSV export broken off") || exportGoroutines("disputedCSV") > 0 || runtime.NumGoroutine() > before {
				if time.Now().After(deadline) {
					t.Fatalf("20 s after the client went: %d goroutines of the export, %d in all (%d before); log:\n%s",
						exportGoroutines("disputedCSV"), runtime.NumGoroutine(), before, logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if l := logs.String(); !strings.Contains(l, "export=disputed") || !strings.Contains(l, "rows_written=") {
				t.Errorf("the log does not name the export and the rows written:\n%s", l)
			}
			t.Logf("log: %s", strings.TrimSpace(logs.String()))

			began := time.Now()
			whole := get(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})
			body, err := io.ReadAll(whole.Body)
			whole.Body.Close()
			t.Logf("the whole export after: %d bytes in %v", len(body), time.Since(began).Round(time.Millisecond))
			if err != nil || whole.StatusCode != http.StatusOK || strings.Count(string(body), "\n") != n+1 {
				t.Fatalf("the export after: %d, %d lines, %v; want %d rows and the header", whole.StatusCode, strings.Count(string(body), "\n"), err, n)
			}
		})
	}
}
