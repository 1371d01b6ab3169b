package sync

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

var day0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// quiet is the logger of stores in tests: migrations need no lines.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openCounter opens a counter store in a temp folder.
func openCounter(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t, store.Options{Log: quiet})
}

// addScan records a scan through the store's write path, as the pipeline
// does (the sync code only reads scans through the store's outbox methods).
func addScan(t testing.TB, db *store.DB, counter string, office uint32, v mark.Verdict, serial uint64, at time.Time) string {
	t.Helper()
	rec := &mark.Record{At: at, Office: office, Counter: counter, Operator: "ivan", Source: "stdin",
		Text: fmt.Sprintf("not a mark %d", serial), Verdict: v, Reasons: []mark.Reason{},
		Versions: mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"}}
	if serial != 0 {
		m := hubtest.TestMark(serial, office)
		rec.Mark, rec.Text = &m, hubtest.Sign(m)
	}
	if v == mark.Reject {
		rec.Reasons = []mark.Reason{mark.ReasonUnderpaid}
	}
	storetest.Save(t, db, 0, rec)
	if rec.Verdict != v {
		t.Fatalf("fixture %s of serial %d stored as %s %v", v, serial, rec.Verdict, rec.Reasons)
	}
	return rec.ID
}

// collector is an in-process markhub on a real loopback port. Its
// terminals have the offices of hubtest.Offices, and it has published the
// keyring of hubtest's issuer, whose marks addScan writes.
type collector struct {
	store hub.Store
	srv   *httptest.Server
	api   *hub.Server
	// now is the collector's clock (nil: the tests' clock, testdata.Now);
	// set it before the first request.
	now func() time.Time
}

func (c *collector) hubNow() time.Time {
	if c.now != nil {
		return c.now()
	}
	return testdata.Now()
}

func newCollector(t testing.TB, terminals ...string) *collector {
	t.Helper()
	c := newBareCollector(t, terminals...)
	hubtest.Publish(t, c.store)
	return c
}

// newBareCollector is a collector with no bundle published (for the tests
// of bundles; marks it receives stay unverified).
func newBareCollector(t testing.TB, terminals ...string) *collector {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, n := range terminals {
		if err := st.AddTerminal(context.Background(), hubtest.Terminal(n)); err != nil {
			t.Fatal(err)
		}
	}
	c := &collector{store: st}
	c.api = hub.NewServer(st, hub.ServerOptions{Now: c.hubNow})
	c.srv = httptest.NewServer(c.api.Handler())
	t.Cleanup(c.srv.Close)
	return c
}

// newMTLSCollector is newCollector(office-a) with a terminal certName of
// office 426000 that has no token (it authenticates with a client
// certificate of its name), served over TLS with a private CA's client
// certificates: the CA and that server.
func newMTLSCollector(t *testing.T, certName string) (*collector, *hubtest.PKI, *httptest.Server) {
	t.Helper()
	col := newCollector(t, "office-a")
	if err := col.store.AddTerminal(context.Background(), hub.Terminal{Name: certName, Office: 426000}); err != nil {
		t.Fatal(err)
	}
	pki := hubtest.NewPKI(t)
	srv := httptest.NewUnstartedServer(col.api.Handler())
	srv.TLS = pki.ServerTLS(t)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return col, pki, srv
}

func newClient(t testing.TB, url, terminal string) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{URL: url, Token: "tok-" + terminal, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stats(t testing.TB, s hub.Store) hub.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func pending(t testing.TB, db *store.DB) int {
	t.Helper()
	st, err := db.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Records
}

// uploadedCollector is a real markhub (sqlite) at 2026-11-25 09:00 UTC to
// which a counter has drained a questionable rejection (serial 1600) and
// an accept (1601) of office-a, scanned the day before. It returns the
// collector, the counter's store and the scan time.
func uploadedCollector(t testing.TB) (*collector, *store.DB, time.Time) {
	t.Helper()
	c := newCollector(t, "office-a")
	c.now = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	db := openCounter(t)
	scan := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	addQuestionable(t, db, hubtest.Offices["office-a"], 1600, scan)
	addScan(t, db, "1", hubtest.Offices["office-a"], mark.Accept, 1601, scan)
	if err := NewUploader(db, newClient(t, c.srv.URL, "office-a"), UploaderOptions{}, quiet, nil).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, db, scan
}

// rewritingFront is office-a's client of a front of c that answers every
// request with c's status and its body passed through rewrite, as JSON.
func rewritingFront(t testing.TB, c *collector, rewrite func(body []byte) []byte) *Client {
	t.Helper()
	h := c.api.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(rewrite(rec.Body.Bytes())) //nolint:errcheck // test server
	}))
	t.Cleanup(front.Close)
	return newClient(t, front.URL, "office-a")
}

// askPages asks cl for the first page of used serials and of questions,
// by endpoint.
func askPages(ctx context.Context, cl *Client) map[string]func() error {
	return map[string]func() error{
		"GET /v1/serials": func() error {
			_, err := cl.Serials(ctx, 0)
			return err
		},
		"GET /v1/questioned": func() error {
			_, err := cl.Questioned(ctx, 0, 0)
			return err
		},
	}
}
