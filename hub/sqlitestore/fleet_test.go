package sqlitestore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/hub"
)

// TestFleetPageUsesIndex: a fleet page walks terminals_office_name from
// its key, and each row's newest record is a probe of records_terminal_at.
func TestFleetPageUsesIndex(t *testing.T) {
	db := open(t).(*DB)
	defer db.Close()
	mid := hub.FleetKey{Office: 426000, Name: "t1"}
	query, args := fleetPageQuery(hub.FleetQuery{Offices: hub.AllOffices, State: hub.FleetSilent, After: &mid, Limit: 200,
		Now: time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)})
	p := queryPlan(t, db, query, args...)
	if !strings.Contains(p, "SEARCH t USING INDEX terminals_office_name (<expr>>? AND <expr><?)") || strings.Contains(p, "TEMP B-TREE") ||
		!strings.Contains(p, "SEARCH records USING COVERING INDEX records_terminal_at (terminal=?)") {
		t.Errorf("plan %q, want a search of terminals_office_name without a sort and a probe of records_terminal_at", p)
	}
}

// BenchmarkFleetPage38k: a fleet page of 200 with the counts, over 38 000
// terminals (the whole country on one collector) with 20 records each;
// the whole fleet query beside it for comparison.
func BenchmarkFleetPage38k(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	const n = 38000
	if _, err := db.db.ExecContext(ctx, `WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < ? - 1)
		INSERT INTO terminals(name, office, token_hash, created_at, clock_skew_ms, seen_at)
		SELECT printf('t%05d', i), 100000 + i, hex(randomblob(16)), ?, (i % 7) * 100,
			strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-' || (i % 50) || ' hours') FROM i`, n, ts(now), ts(now)); err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `WITH RECURSIVE g(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM g WHERE g < ? * 20 - 1)
		INSERT INTO records(id, terminal, at, office, counter, operator, source, raw_text, verdict, reasons, measured_weight_g,
			keyring_version, tariffs_version, revocations_version, review_state, message, received_at, verification, why, digest)
		SELECT 'r' || g, printf('t%05d', g % ?), strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-' || (g / ?) || ' hours'), 100000 + g % ?,
			'1', 'op', 'serial:front', 'EPM1:x', 'ACCEPT', '[]', 0, 'k1', 't1', 'r1', '', '', ?, 'verified', '', 'd' || g FROM g`, n, n, ts(now), n, n, ts(now)); err != nil {
		b.Fatal(err)
	}
	mid := hub.FleetKey{Office: 100000 + n/2, Name: fmt.Sprintf("t%05d", n/2)}
	region, _ := hub.ParseOfficePrefix("11")
	for _, bc := range []struct {
		name string
		q    hub.FleetQuery
	}{
		{"first", hub.FleetQuery{Offices: hub.AllOffices}},
		{"middle", hub.FleetQuery{Offices: hub.AllOffices, After: &mid}},
		{"before-middle", hub.FleetQuery{Offices: hub.AllOffices, Before: &mid}},
		{"region-11-silent", hub.FleetQuery{Offices: region, State: hub.FleetSilent}},
		{"stale", hub.FleetQuery{Offices: hub.AllOffices, State: hub.FleetStale}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := bc.q
			q.Limit, q.Now = hub.FleetPageSize, now
			for b.Loop() {
				pg, err := db.FleetPage(ctx, q)
				if err != nil || len(pg.Rows) != hub.FleetPageSize || pg.Counts.Total == 0 {
					b.Fatalf("%d rows, %+v, %v", len(pg.Rows), pg.Counts, err)
				}
			}
		})
	}
	b.Run("whole-fleet", func(b *testing.B) {
		for b.Loop() {
			if rows, err := db.Fleet(ctx); err != nil || len(rows) != n {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
		}
	})
}
