package sqlitestore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub"
)

// TestRejectRankingUsesIndex: the ranking is a range of the rollup —
// the days of the country or a wide region from the (day, office) key, a
// narrow region's offices from (office, day) — and never reads records.
func TestRejectRankingUsesIndex(t *testing.T) {
	db := open(t).(*DB)
	defer db.Close()
	wide, _ := hub.ParseOfficePrefix("42")
	narrow, _ := hub.ParseOfficePrefix("426")
	for o, want := range map[hub.OfficeRange]string{
		hub.AllOffices: "SEARCH office_day_counts USING PRIMARY KEY (day>? AND day<?)",
		wide:           "SEARCH office_day_counts USING PRIMARY KEY (day>? AND day<?)",
		narrow:         "SEARCH office_day_counts USING INDEX office_day_counts_office (office>? AND office<?)",
	} {
		if p := queryPlan(t, db, rankingSQL(o), "2026-11-01", "2026-12-01", o.Lo, o.Hi, 20, 100); !strings.Contains(p, want) || strings.Contains(p, "records") {
			t.Errorf("region %q: plan %q, want %q", o.Prefix, p, want)
		}
	}
}

// BenchmarkRejectRanking: a region of 2500 offices (SQLite's size) with
// 61 days in the rollup, ranked over a week and a month, and regions of
// 1000 and 100 offices over a month.
func BenchmarkRejectRanking(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.db.ExecContext(ctx, `WITH RECURSIVE o(o) AS (SELECT 0 UNION ALL SELECT o + 1 FROM o WHERE o < 2499),
		d(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM d WHERE d < 60)
		INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
		SELECT 100000 + o, date('2026-09-01', '+' || d || ' days'), 300 + (o * 7 + d) % 200, (o * 13 + d) % 40, 0, 5 FROM o, d`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `INSERT INTO office_day_reasons(office, day, reason, n)
		SELECT office, day, 'UNDERPAID', rejected FROM office_day_counts WHERE rejected > 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	region, _ := hub.ParseOfficePrefix("10")
	narrow, _ := hub.ParseOfficePrefix("100")
	for _, bc := range []struct {
		name    string
		days    int
		offices hub.OfficeRange
	}{{"week", 7, hub.AllOffices}, {"month", 31, hub.AllOffices}, {"region-10-month", 31, region}, {"region-100-month", 31, narrow}} {
		days := bc.days
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				l, err := db.RejectRanking(ctx, hub.RejectQuery{Offices: bc.offices, From: from, To: from.AddDate(0, 0, days), MinJudged: 20, Limit: 100, TopReasons: 3})
				if err != nil || len(l) != 100 {
					b.Fatalf("%d offices, %v", len(l), err)
				}
			}
		})
	}
}
