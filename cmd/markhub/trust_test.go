package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/store"
)

// TestProcessesTrustNoTerminal runs markhub and two terminals' `markd sync
// --once` as processes. Terminal A (office 426000) uploads a record of
// another office, an ACCEPT with a made-up text for a serial that office B
// really accepts, and a record id that B uses too; a second store with A's
// token reuses that id for another record. The collector refuses the first
// (A sets it aside), stores the made-up one unverified without claiming the
// serial, so B gets no false reuse alert, keeps B's record under the same
// id, and answers the reused id with 409 (set aside too).
func TestProcessesTrustNoTerminal(t *testing.T) {
	markhub, markd := buildBinaries(t)
	addr, hubDB, tokA, tokB := twoOfficeHub(t, markhub)

	const shared = "0193a0b0-0000-7000-8000-000000000001"
	dbA, idsA := writeScans(t, t.TempDir(), []scanRow{
		{office: 101000, serial: 800},                    // another office's record
		{office: 426000, serial: 801, text: "EPM1:FAKE"}, // made up: B accepts 801 for real
		{id: shared, office: 426000, serial: 802},
	})
	dbB, _ := writeScans(t, t.TempDir(), []scanRow{
		{office: 101000, serial: 801},
		{id: shared, office: 101000, serial: 803},
	})
	dbA2, _ := writeScans(t, t.TempDir(), []scanRow{{id: shared, office: 426000, serial: 804}})
	for _, c := range []struct{ db, tok string }{{dbA, tokA}, {dbB, tokB}, {dbA2, tokA}} {
		run1(t, markd, "sync", "--once", "--config", writeConfig(t, t.TempDir(), c.db, "http://"+addr, c.tok, 100))
	}

	hs := openHub(t, "sqlite", hubDB)
	defer hs.Close()
	ctx := context.Background()
	st, err := hs.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 4 || st.Unverified != 1 || st.UsedSerials != 3 || st.Alerts != 0 {
		t.Fatalf("collector holds %+v; want 4 records, 1 unverified, 3 serials used, no alert", st)
	}
	if r, err := hs.Record(ctx, "office-a", idsA[1]); err != nil || r.Verification != "unverified" {
		t.Fatalf("made-up record: %+v %v", r, err)
	}
	for term, serial := range map[string]uint64{"office-a": 802, "office-b": 803} {
		if r, err := hs.Record(ctx, term, shared); err != nil || r.Mark == nil || r.Mark.Serial != serial {
			t.Fatalf("%s's record %s: %+v %v", term, shared, r, err)
		}
	}
	for path, refused := range map[string]int{dbA: 1, dbB: 0, dbA2: 1} {
		db, err := store.Open(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		os, err := db.OutboxStats(ctx)
		alerts, total, aerr := db.ListAlerts(ctx, 10, 0)
		db.Close()
		if err != nil || aerr != nil || os.Records != 0 || os.Refused != refused || total != 0 {
			t.Fatalf("%s: outbox %+v (%v), alerts %+v (%v)", path, os, err, alerts, aerr)
		}
	}
}

// TestProcessesNULInTextOnPostgres runs markhub serve over PostgreSQL and
// `markd sync --once`: a counter store holds a scan whose text has a NUL
// (serial noise), beside a good one. PostgreSQL's text holds no NUL, and
// markhub answered the upload 503 for ever (the counter retried, its
// outbox stuck behind that record); now both go, the noise stored with
// U+FFFD for the NUL, unverified, and nothing is left pending.
func TestProcessesNULInTextOnPostgres(t *testing.T) {
	dsn := hubtest.SharedDatabase(t)
	markhub, markd := buildBinaries(t)
	tok := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db-driver", "postgres", "--db", dsn)
	publishTestKeyring(t, "postgres", dsn)
	addr := freePort(t)
	start(t, true, markhub, "serve", "--db-driver", "postgres", "--db", dsn, "--listen", addr)

	db, ids := writeScans(t, t.TempDir(), []scanRow{
		{office: 426000, serial: 950, text: "EPM1:\x00\x7f noise"},
		{office: 426000, serial: 951},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, markd, "sync", "--once", "--config",
		writeConfig(t, t.TempDir(), db, "http://"+addr, tok, 100)).CombinedOutput()
	if err != nil {
		t.Fatalf("markd sync --once: %v\n%s", err, out)
	}
	if n := pendingIn(t, db); n != 0 {
		t.Fatalf("%d records still pending:\n%s", n, out)
	}
	hs := openHub(t, "postgres", dsn)
	defer hs.Close()
	r, err := hs.Record(context.Background(), "office-a", ids[0])
	if err != nil || r.Text != "EPM1:\uFFFD\x7f noise" || r.Verification != "unverified" {
		t.Fatalf("noise stored as %q (%s): %v", r.Text, r.Verification, err)
	}
	if r, err := hs.Record(context.Background(), "office-a", ids[1]); err != nil || r.Verification != "verified" {
		t.Fatalf("good record: %+v %v", r, err)
	}
}
