package sync

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/internal/syncbuf"
	"markd/mark"
)

// TestProxyBodyLimit: a proxy in front of the collector with a body limit
// below markhub's (nginx's client_max_body_size is 1 MiB by default, less
// than a batch of 2000 records) answers 413 with its HTML page. The
// counter halves its batch and goes on at once: a smaller batch is the
// fix, not a failure to wait out; no failed attempt is counted and nothing
// is logged at error level, through the backlog pump and the single
// requests alike, and every record reaches the collector once.
func TestProxyBodyLimit(t *testing.T) {
	col := newCollector(t, "office-a")
	f := newFront(t, col)
	const limit = 24 << 10
	f.set(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			w.Write([]byte("<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body></body></html>\r\n")) //nolint:errcheck // test
			return
		}
		f.proxy.ServeHTTP(w, r)
	})
	db := openCounter(t)
	for i := range 1000 {
		addScan(t, db, "1", 426000, mark.Accept, uint64(2000+i), day0.Add(time.Duration(i)*time.Millisecond))
	}
	var logs syncbuf.Buffer
	reg := prometheus.NewRegistry()
	u := NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{BatchSize: 400, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
		slog.New(slog.NewTextHandler(&logs, nil)), reg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := u.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if st := stats(t, col.store); st.Records != 1000 || pending(t, db) != 0 {
		t.Fatalf("collector holds %d, %d pending; want 1000, 0", st.Records, pending(t, db))
	}
	if n := gauge(t, reg, "markd_sync_upload_failures_total"); n != 0 {
		t.Errorf("%v failed attempts counted for a batch too large for the proxy", n)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || !strings.Contains(out, "halving") {
		t.Errorf("log:\n%s\nwant the halving at warn level, no error line", out)
	}
	if u.batch > 400/8 || u.batch < 400/32 {
		t.Errorf("batch %d after the 413s", u.batch)
	}
}
