package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestVerifyDBMovesCheckWatermark: markd verify --db stores its scans as
// the daemon does (each signature checked under its commit), so it moves
// the gate's check watermark as the daemon does; before, its scans all
// stayed above it and the daemon's next start checked every one again.
func TestVerifyDBMovesCheckWatermark(t *testing.T) {
	dir := t.TempDir()
	cfg, path := dmWatermarkedStore(t, dir)
	ctx := context.Background()
	const n = 200
	in := strings.Join(dmMarks(t, n, 5_000_000), "\n") + "\n"
	at := testdata.Now().Format(time.RFC3339)
	if code, out, errs := vtRun(t, in, "verify", "--config", cfg, "--db", path, "--at", at); code != 0 {
		t.Fatalf("verify --db: exit %d\n%.300s%s", code, out, errs)
	} else if got := strings.Count(out, `"verdict":"ACCEPT"`); got != n {
		t.Fatalf("verify --db accepted %d of %d marks:\n%.400s", got, n, out)
	}
	db, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, top, err := db.UncheckedScans(ctx)
	if err != nil || top != n || len(rows) >= 64 {
		t.Errorf("after verify --db: %d of %d scans above the watermark (%v); want fewer than 64", len(rows), top, err)
	}
}

// TestVerifyDBRefusesImplausibleAt: markd verify --db --at a time more
// than 10 minutes after this PC's clock, or before 2020, is a usage error
// (exit 2) and stores nothing, as a line of markd import with that at.
// Before, the scans were stored under that time: the collector holds a
// record stamped ahead of its clock, and every later record of the
// counter, pending until then (a typo 2062 for 2026: for 36 years), and
// refuses one before 2020.
func TestVerifyDBRefusesImplausibleAt(t *testing.T) {
	for _, tc := range []struct {
		at, want string
		aheadOK  bool // --at-ahead given (it takes a time ahead, not one before 2020)
	}{
		{testdata.Now().Add(time.Hour).Format(time.RFC3339), "1h0m0s after this PC's clock", false},
		{"2019-06-01T10:00:00+04:00", "before 2020", false},
		{"2019-06-01T10:00:00+04:00", "before 2020", true},
	} {
		t.Run(tc.at, func(t *testing.T) {
			dir := t.TempDir()
			cfg, path := dmWatermarkedStore(t, dir)
			in := dmMarks(t, 1, 5_100_000)[0] + "\n"
			args := []string{"verify", "--config", cfg, "--db", path, "--at", tc.at}
			if tc.aheadOK {
				args = append(args, "--at-ahead")
			}
			code, out, errs := vtRun(t, in, args...)
			if code != exitUsage || !strings.Contains(errs, "--at "+tc.at+": ") || !strings.Contains(errs, tc.want) {
				t.Fatalf("verify --db --at %s: exit %d\n%s%s", tc.at, code, out, errs)
			}
			db, err := store.Open(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if c, err := db.Counts(context.Background()); err != nil || len(c) != 0 {
				t.Errorf("store counts %v %v, want none", c, err)
			}
		})
	}
}

// TestVerifyDBAtAhead: --at-ahead takes an --at after this PC's clock (a
// PC whose clock is known to be behind): the scan is judged and stored
// under that time.
func TestVerifyDBAtAhead(t *testing.T) {
	dir := t.TempDir()
	cfg, path := dmWatermarkedStore(t, dir)
	in := dmMarks(t, 1, 5_100_000)[0] + "\n"
	at := testdata.Now().Add(time.Hour).Format(time.RFC3339)
	code, out, errs := vtRun(t, in, "verify", "--config", cfg, "--db", path, "--at", at, "--at-ahead")
	if code != 0 || !strings.Contains(out, "ACCEPT") {
		t.Fatalf("verify --db --at %s --at-ahead: exit %d\n%s%s", at, code, out, errs)
	}
	db, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err := db.Counts(context.Background()); err != nil || c[mark.Accept] != 1 {
		t.Errorf("store counts %v %v, want one ACCEPT", c, err)
	}
}
