package store

import (
	"context"
	"strings"
	"testing"
)

// TestReplayQueries: the event streams' reads walk no table (one runs on
// every verdict for every open stream), and ScansAfter gives the scans in
// the order they were stored, without their frames.
func TestReplayQueries(t *testing.T) {
	db, _ := scOpen(t)
	listFixture(t, db, 50)
	for _, tc := range []struct {
		name, q string
		args    []any
		want    string
	}{
		{"position of a scan", scanSeqQuery, []any{"0190"}, "sqlite_autoindex_scans_1"},
		{"last position", lastSeqQuery, nil, ""},
		{"scans after", `SELECT rowid, ` + replayColumns + scansAfterEnd, []any{10, 200}, "INTEGER PRIMARY KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := strings.Join(queryPlan(t, db, tc.q, tc.args...), "\n")
			if strings.Contains(plan, "SCAN scans") || strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.want) {
				t.Fatalf("plan of %s:\n%s", tc.q, plan)
			}
		})
	}
	if strings.Contains(replayColumns, "frame") {
		t.Fatalf("replay columns read the frame: %s", replayColumns)
	}
	ctx := context.Background()
	all, last, err := db.ScansAfter(ctx, 0, 1000)
	if err != nil || len(all) != 50 {
		t.Fatalf("scans after 0: %d %v", len(all), err)
	}
	if top, err := db.LastScanSeq(ctx); err != nil || top != last {
		t.Fatalf("last position %d %v, want %d", top, err, last)
	}
	seq, err := db.ScanSeq(ctx, all[19].ID)
	if err != nil {
		t.Fatal(err)
	}
	rest, end, err := db.ScansAfter(ctx, seq, 10)
	if err != nil || len(rest) != 10 || rest[0].ID != all[20].ID || rest[9].ID != all[29].ID {
		t.Fatalf("10 after the 20th: %d %v", len(rest), err)
	}
	if next, _, _ := db.ScansAfter(ctx, end, 1); len(next) != 1 || next[0].ID != all[30].ID {
		t.Fatalf("after the page: %+v", next)
	}
	if _, _, err := db.ScansAfter(ctx, 0, 0); err == nil {
		t.Fatal("limit 0 taken")
	}
}
