package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// TestContractCommand: markhub contract N sums the closed batches of the
// contract per day and office, as a table and as CSV, with the rejected
// scans and the receipts' counts (unknown on a day with a batch of an
// older counter, which sent none); a bad number is a usage error.
func TestContractCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	st, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.AddTerminal(ctx, hubtest.Terminal("office-a")); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	q := hub.UploadRequest{Records: []hub.Record{}, Events: []hub.Event{}, AckAlerts: []int64{}, Batches: []hub.Batch{
		{ID: "b1", Office: hubtest.Offices["office-a"], Counter: "1", Contract: 1004417, State: mark.BatchClosed,
			Opened: day, Closed: day.Add(time.Hour), Accepted: 500, PaidKop: 5250000},
		{ID: "b2", Office: hubtest.Offices["office-a"], Counter: "1", Contract: 1004417, State: mark.BatchClosed,
			Opened: day, Closed: day.Add(2 * time.Hour), Accepted: 20, PaidKop: 210000},
		{ID: "b3", Office: hubtest.Offices["office-a"], Counter: "1", Contract: 1004417, State: mark.BatchClosed,
			Opened: day.Add(-24 * time.Hour), Closed: day.Add(-23 * time.Hour), Accepted: 10, Rejected: 4, PaidKop: 105000,
			HandedBack: ptr(1), PresentedAgain: ptr(1), RefusedAgain: ptr(2)},
	}}
	if _, err := st.Ingest(ctx, "office-a", &q, day); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errs := runCmd(t, "contract", "1004417", "--from", "2026-11-20", "--to", "2026-11-25", "--db", db)
	if code != 0 || !strings.Contains(out, "2026-11-25") || !strings.Contains(out, "520") || !strings.Contains(out, "54600.00") {
		t.Fatalf("table: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, "contract", "1004417", "--from", "2026-11-25", "--to", "2026-11-25", "--csv", "--db", db)
	if code != 0 || out != "day,office,batches,accepted,paid_kop,rejected,handed_back,presented_again,refused_again\n"+
		"2026-11-25,426000,2,520,5460000,0,unknown,unknown,unknown\n" {
		t.Fatalf("csv: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "contract", "1004417", "--from", "2026-11-24", "--to", "2026-11-24", "--csv", "--db", db)
	if code != 0 || out != "day,office,batches,accepted,paid_kop,rejected,handed_back,presented_again,refused_again\n"+
		"2026-11-24,426000,1,10,105000,4,1,1,2\n" {
		t.Fatalf("csv with the receipt's counts: %d %q", code, out)
	}
	code, out, _ = runCmd(t, "contract", "1004417", "--from", "2026-11-24", "--to", "2026-11-25", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") !=
		"DAY OFFICE BATCHES ACCEPTED NOT ACCEPTED PRESENTED AGAIN REFUSED AGAIN REJECTIONS PAID, RUB" ||
		strings.Join(strings.Fields(lines[1]), " ") != "2026-11-24 426000 1 10 1 1 2 4 1050.00" ||
		strings.Join(strings.Fields(lines[2]), " ") != "2026-11-25 426000 2 520 unknown unknown unknown 0 54600.00" ||
		strings.Join(strings.Fields(lines[3]), " ") != "total 3 530 unknown unknown unknown 4 55650.00" {
		t.Fatalf("table with the receipt's counts: %d\n%s", code, out)
	}
	if code, _, errs := runCmd(t, "contract", "x", "--db", db); code != 2 || errs == "" {
		t.Fatalf("bad number: %d %q", code, errs)
	}
	if code, out, _ := runCmd(t, "contract", "1004417", "--from", "2026-11-26", "--db", db); code != 0 || strings.Contains(out, "2026-11-25") {
		t.Fatalf("outside the days: %d %q", code, out)
	}
}

func ptr(v int) *int { return &v }
