package sqlitestore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestZoneIndexConverges: migration 060 made terminals_zone_off in one
// version and terminals_zone_check in the next; whichever a collector ran
// (or an index of neither), migration 063 leaves it with
// terminals_zone_check alone.
func TestZoneIndexConverges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup string
	}{
		{"the partial index of the first 060", `DROP INDEX terminals_zone_check;
			CREATE INDEX terminals_zone_off ON terminals(zone_check) WHERE zone_check IN ('differs', 'data_differ')`},
		{"neither index", `DROP INDEX terminals_zone_check`},
		{"the index of the last 060", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "hub.db")
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.db.Exec(tc.setup); err != nil {
				t.Fatal(err)
			}
			if _, err := db.db.Exec(`DELETE FROM schema_migrations WHERE version >= 63`); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'terminals' AND name LIKE 'terminals_zone%' ORDER BY name`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
				got = append(got, n)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if want := []string{"terminals_zone_check"}; !slices.Equal(got, want) {
				t.Errorf("zone indexes %q, want %q", got, want)
			}
		})
	}
}
