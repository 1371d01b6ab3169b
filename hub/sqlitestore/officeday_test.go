package sqlitestore

import (
	"context"
	"strings"
	"testing"
)

// TestOfficeDaysUsesIndex: the per office and day query is a range search
// of records_office_at, not a scan of every record.
func TestOfficeDaysUsesIndex(t *testing.T) {
	db := open(t).(*DB)
	defer db.Close()
	if p := queryPlan(t, db, officeDaysQuery, 426000, "2026-11-24", "2026-11-26"); !strings.Contains(p, "SEARCH records USING INDEX records_office_at (office=? AND at>? AND at<?)") {
		t.Errorf("plan %q, want a range search of records_office_at", p)
	}
}

// TestCheckUsesIndex: the health query counts the open disputed
// acceptances and questioned rejections from the partial indexes
// records_disputed_open and records_questioned_open, not from every
// record (it decides readiness, within db_check_timeout).
func TestCheckUsesIndex(t *testing.T) {
	db := open(t).(*DB)
	defer db.Close()
	p := queryPlan(t, db, checkQuery, 10001, 10001)
	for _, index := range []string{"records_disputed_open", "records_questioned_open"} {
		if !strings.Contains(p, "SCAN records USING COVERING INDEX "+index) && !strings.Contains(p, "SCAN records USING INDEX "+index) {
			t.Errorf("plan %q, want a scan of %s", p, index)
		}
	}
	// the terminals whose zone disagrees: a search of the index, not a scan of every terminal
	if n := strings.Count(p, "SEARCH terminals USING COVERING INDEX terminals_zone_check (zone_check=?)"); n != 2 {
		t.Errorf("plan %q, want two searches of terminals_zone_check", p)
	}
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of query with args, its
// details joined by "; ".
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
