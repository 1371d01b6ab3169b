package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/mark"
	"markd/store"
)

var day0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// quiet is the logger of stores in tests: migrations need no lines.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openCounter opens a counter store in a temp folder.
func openCounter(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "markd.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// addScan writes a scan row the way the pipeline stores it (the sync code
// only reads scans through the store's outbox methods).
func addScan(t testing.TB, db *store.DB, counter string, office uint32, v mark.Verdict, serial uint64, at time.Time) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	var ser, fields any
	text := fmt.Sprintf("not a mark %d", serial)
	if serial != 0 {
		m := hubtest.TestMark(serial, office)
		b, _ := json.Marshal(m.Fields())
		ser, fields, text = int64(serial), string(b), hubtest.Sign(m)
	}
	reasons, review := "[]", ""
	if v == mark.Reject {
		reasons, review = `["UNDERPAID"]`, "pending"
	}
	vs, _ := json.Marshal(mark.Versions{Keyring: "k1", Tariffs: "t1", Revocations: "r1"})
	_, err := db.SQL().Exec(`INSERT INTO scans(id, at, office, counter, operator, source, raw_text, verdict, reasons, serial,
		mark_fields, versions, review_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, at.UTC().Format(time.RFC3339Nano), office, counter, "ivan", "stdin", text,
		string(v), reasons, ser, fields, string(vs), review)
	if err != nil {
		t.Fatal(err)
	}
	if v == mark.Accept {
		if _, err := db.SQL().Exec(`INSERT INTO used_serials(serial, record_id, at, office, counter, raw_text) VALUES (?,?,?,?,?,?)`,
			int64(serial), id, at.UTC().Format(time.RFC3339Nano), office, counter, "x"); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// collector is an in-process markhub on a real loopback port. Its
// terminals have the offices of hubtest.Offices, and it has published the
// keyring of hubtest's issuer, whose marks addScan writes.
type collector struct {
	store hub.Store
	srv   *httptest.Server
	api   *hub.Server
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
	c := &collector{store: st, api: hub.NewServer(st, nil, nil)}
	c.srv = httptest.NewServer(c.api.Handler())
	t.Cleanup(c.srv.Close)
	return c
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
