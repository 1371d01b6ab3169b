package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/issuer"
	"markd/mark"
	"markd/store"
)

// historyHub is markhub's side of the history tests: both binaries, a
// SQLite collector in dir with the terminal office-a of office 426000
// (token) and the test keyring published, and a free address to serve it.
type historyHub struct{ markhub, markd, dir, db, addr, token string }

func newHistoryHub(t *testing.T) historyHub {
	t.Helper()
	var h historyHub
	h.markhub, h.markd = buildBinaries(t)
	h.dir = t.TempDir()
	h.db, h.addr = filepath.Join(h.dir, "hub.db"), freePort(t)
	h.token = run1(t, h.markhub, "terminal", "add", "office-a", "--office", "426000", "--db", h.db)
	publishTestKeyring(t, "sqlite", h.db)
	return h
}

// counterLists writes the test issuer's keyring and the tariffs into dir
// for a counter's config and returns their paths.
func counterLists(t *testing.T, dir string) (keyring, tariffs string) {
	t.Helper()
	ring, err := issuer.MarshalKeyring([]issuer.Key{hubtest.IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	keyring, tariffs = filepath.Join(dir, "keyring.yaml"), filepath.Join(dir, "tariffs.yaml")
	for f, b := range map[string][]byte{keyring: ring, tariffs: []byte(hubtest.Tariffs)} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return keyring, tariffs
}

// TestNewStoreRestoresHistory: an office's counter lost its store and was
// set up again with `markd init`. Until it has restored from markhub the
// serials its office used, every mark is ERROR "reuse history not
// restored" (here markhub is down at first); afterwards a mark the office
// accepted before is REUSED, with the collector's record as the first
// acceptance, and a new one is accepted.
func TestNewStoreRestoresHistory(t *testing.T) {
	h := newHistoryHub(t)
	markhub, markd, dir, hubDB, addr, token := h.markhub, h.markd, h.dir, h.db, h.addr, h.token
	// The office's history: 1500 serials uploaded by the old store.
	old, oldIDs := counterStore(t, t.TempDir(), 1500, 900, 426000)
	lastEvent := reviewEvents(t, old, 40) // its supervisors' decisions, uploaded as events
	hubP := start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), old, "http://"+addr, token, 500))
	hubP.kill()

	// The new counter store, with the test issuer's keyring.
	keyring, tariffs := counterLists(t, dir)
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf("office: 426000\ncounter: \"1\"\nkeyring: %s\ntariffs: %s\ndb: %s\nhttp:\n  listen: 127.0.0.1:0\n"+
		"sync:\n  url: http://%s\n  token: %s\n  batch_age: 50ms\n  interval: 200ms\n  max_backoff: 300ms\n",
		keyring, tariffs, filepath.Join(dir, "markd.db"), addr, token)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run1(t, markd, "init", "--config", cfg)
	markdP := startMarkdRun(t, markd, cfg)
	type out struct {
		Verdict       mark.Verdict     `json:"verdict"`
		Reasons       []mark.Reason    `json:"reasons"`
		Message       string           `json:"message"`
		FirstAccepted *mark.Acceptance `json:"first_accepted"`
	}
	scan := func(serial uint64) out {
		t.Helper()
		var o out
		markdP.scan(t, hubtest.Sign(hubtest.TestMark(serial, 426000)), &o)
		return o
	}
	for _, serial := range []uint64{900, 5000} {
		if o := scan(serial); o.Verdict != mark.Error || !strings.Contains(o.Message, "Reuse history not restored") {
			t.Fatalf("serial %d before the history: %+v", serial, o)
		}
	}
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)
	for try := 1; ; try++ { // up to a minute: 300 tries 200 ms apart
		o := scan(901)
		if o.Verdict == mark.Reject {
			if len(o.Reasons) != 1 || o.Reasons[0] != mark.ReasonReused || o.FirstAccepted == nil || o.FirstAccepted.RecordID != oldIDs[1] {
				t.Fatalf("serial the office used: %+v %+v", o, o.FirstAccepted)
			}
			break
		}
		if o.Verdict != mark.Error || try == 300 {
			t.Fatalf("serial 901 while restoring: %+v", o)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The new store numbers its review events above the old store's, which
	// the collector holds under the same terminal (it refuses an id used
	// for another decision).
	if seq := auditSeq(t, filepath.Join(dir, "markd.db")); seq < lastEvent {
		t.Fatalf("the new store's audit ids go on from %d, below the old store's events (up to %d)", seq, lastEvent)
	}
	if o := scan(2399); o.Verdict != mark.Reject { // the last of the history
		t.Fatalf("serial 2399: %+v", o)
	}
	if o := scan(5000); o.Verdict != mark.Accept {
		t.Fatalf("new serial after the history: %+v", o)
	}
}

// reviewEvents stores n rejections in the counter store at path, each
// confirmed by a supervisor, and returns the last audit id (the id of the
// last review event the store will upload).
func reviewEvents(t *testing.T, path string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last int64
	for i := range n {
		r := &mark.Record{At: time.Date(2026, 11, 24, 10, 0, i, 0, time.UTC), Office: 426000, Counter: "1", Source: "stdin",
			Text: fmt.Sprintf("EPM1:BROKEN%d", i), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonMalformed},
			Versions: mark.Versions{Keyring: "k", Tariffs: "t", Revocations: "r"}}
		if err := db.Save(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.ConfirmRejection(ctx, r.ID, "boss", "seen"); err != nil {
			t.Fatal(err)
		}
		ev, err := db.AuditFor(ctx, r.ID)
		if err != nil || len(ev) == 0 {
			t.Fatalf("audit of %s: %v %v", r.ID, ev, err)
		}
		last = ev[len(ev)-1].ID
	}
	return last
}

// auditSeq is the last audit id handed out in the store at path.
func auditSeq(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq int64
	if err := db.QueryRow(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0)`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}
