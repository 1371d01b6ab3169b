package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/mark"
	"markd/store"
)

// front is a real HTTP server in front of a real collector that
// misbehaves on purpose, as a proxy, a load balancer or a wrong URL can:
// while its handler is set it answers in the collector's place (or
// changes the request on its way), else it passes everything through.
type front struct {
	srv     *httptest.Server
	proxy   http.Handler // to the collector
	handler atomic.Pointer[http.HandlerFunc]
}

func newFront(t testing.TB, col *collector) *front {
	t.Helper()
	target, err := url.Parse(col.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &front{proxy: httputil.NewSingleHostReverseProxy(target)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := f.handler.Load(); h != nil {
			(*h)(w, r)
			return
		}
		f.proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *front) set(h http.HandlerFunc) {
	if h == nil {
		f.handler.Store(nil)
		return
	}
	f.handler.Store(&h)
}

// TestUnconfirmedAnswerKeepsRecords: a 2xx answer that does not confirm
// every record sent (a JSON answer of something else than markhub, a
// proxy that lost records of the body on its way) marks nothing uploaded:
// the records stay pending and reach the collector once it answers for
// them, each once.
func TestUnconfirmedAnswerKeepsRecords(t *testing.T) {
	answer := func(body string) func(http.ResponseWriter, *http.Request, http.Handler) {
		return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body)) //nolint:errcheck // test
		}
	}
	tests := []struct {
		name string
		h    func(http.ResponseWriter, *http.Request, http.Handler)
	}{
		{"empty object", answer(`{}`)},
		{"another service's answer", answer(`{"status":"ok"}`)},
		{"count of another request", answer(`{"stored":1,"duplicates":0,"events":0,"unverified":0,"alerts":[]}`)},
		{"the last record dropped on the way", func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			var q map[string]json.RawMessage
			if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var recs []json.RawMessage
			json.Unmarshal(q["records"], &recs) //nolint:errcheck // test
			if len(recs) > 0 {
				recs = recs[:len(recs)-1]
			}
			q["records"], _ = json.Marshal(recs)
			body, _ := json.Marshal(q)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			next.ServeHTTP(w, r)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(t, "office-a")
			f := newFront(t, col)
			db, u := frontUploader(t, f, nil, 950, 951, 952)
			f.set(func(w http.ResponseWriter, r *http.Request) { tt.h(w, r, f.proxy) })
			sent, _, err := u.Once(context.Background(), true)
			if err == nil {
				t.Fatalf("Once: %d records confirmed by an answer that does not confirm them", sent)
			}
			var ue *UnconfirmedError
			if !errors.As(err, &ue) || ue.Sent != 3 {
				t.Fatalf("Once: %v, want an UnconfirmedError for 3 records", err)
			}
			if n := pending(t, db); n != 3 {
				t.Fatalf("%d records pending, want all 3: marked uploaded without the collector's word", n)
			}
			f.set(nil)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := u.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if n := pending(t, db); n != 0 {
				t.Fatalf("%d records pending after the drain", n)
			}
			if st := stats(t, col.store); st.Records != 3 {
				t.Fatalf("collector holds %d records, want 3", st.Records)
			}
		})
	}
}

// TestProxyFaultsKeepRecords: what a proxy or a dying connection does in
// the collector's place leaves every record pending, and the next
// attempts, once the front passes everything through, bring each record
// to the collector once.
func TestProxyFaultsKeepRecords(t *testing.T) {
	tests := []struct {
		name string
		h    func(f *front) http.HandlerFunc
	}{
		{"truncated JSON answer", func(f *front) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				f.proxy.ServeHTTP(rec, r) // the collector stores them
				w.Header().Set("Content-Type", "application/json")
				w.Write(rec.Body.Bytes()[:rec.Body.Len()/2]) //nolint:errcheck // test
			}
		}},
		{"connection dropped after the collector answered", func(f *front) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				f.proxy.ServeHTTP(httptest.NewRecorder(), r)
				panic(http.ErrAbortHandler)
			}
		}},
		{"connection dropped in the middle of the request body", func(*front) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				io.CopyN(io.Discard, r.Body, 100) //nolint:errcheck // test
				panic(http.ErrAbortHandler)
			}
		}},
		{"HTML page with 200", func(*front) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html><body>Welcome to nginx!</body></html>")) //nolint:errcheck // test
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(t, "office-a")
			f := newFront(t, col)
			db, u := frontUploader(t, f, nil, 970, 971, 972)
			f.set(tt.h(f))
			if _, _, err := u.Once(context.Background(), true); err == nil {
				t.Fatal("Once: no error")
			}
			if n := pending(t, db); n != 3 {
				t.Fatalf("%d records pending, want 3", n)
			}
			f.set(nil)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := u.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if st := stats(t, col.store); st.Records != 3 || pending(t, db) != 0 {
				t.Fatalf("collector holds %d records, %d pending; want 3, 0", st.Records, pending(t, db))
			}
		})
	}
}

// TestProxyErrorPage: the HTML error page of a proxy in front of the
// collector (502, 504, 413 of its own body limit) is named in one short
// line (the page's title), said not to be markhub's, not logged whole
// over many lines.
func TestProxyErrorPage(t *testing.T) {
	const page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
		"<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
	col := newCollector(t, "office-a")
	f := newFront(t, col)
	f.set(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(page + strings.Repeat("<!-- padding -->\r\n", 50))) //nolint:errcheck // test
	})
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 980, day0)
	u := NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{}, quiet, nil)
	_, _, err := u.Once(context.Background(), true)
	if !errors.Is(err, mark.ErrUnavailable) {
		t.Fatalf("Once: %v, want unavailable", err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") || len(msg) > 300 || !strings.Contains(msg, "502 Bad Gateway") ||
		!strings.Contains(msg, "not from markhub") {
		t.Fatalf("message %q: want one short line naming the page and that it is not markhub's", msg)
	}
}

// frontUploader is a counter store holding an accepted scan of each
// serial, a second apart from day0, and its uploader to the collector
// behind f, retrying at once (reg may be nil).
func frontUploader(t *testing.T, f *front, reg *prometheus.Registry, serials ...uint64) (*store.DB, *Uploader) {
	t.Helper()
	db := openCounter(t)
	for i, s := range serials {
		addScan(t, db, "1", 426000, mark.Accept, s, day0.Add(time.Duration(i)*time.Second))
	}
	return db, NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, reg)
}

// jsonAnswer answers every request with status code and the JSON body,
// and the header pairs (name, value, …) given.
func jsonAnswer(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		w.Write([]byte(body)) //nolint:errcheck // test
	}
}
