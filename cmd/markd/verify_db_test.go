package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
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
