package sqlitestore

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
)

// TestReleaseDatabasesOpen: every collector database a real older markhub
// made (a counter of the same release uploaded its day to it: records,
// review decisions, a batch, the serials, a bundle; testdata/releases,
// scripts/release-stores.sh) opens with this markhub, every later
// migration applied: every row kept, the schema a fresh database's (the
// zone indexes of migration 063 included), the same records sent again
// stored once, a new upload accepted, an old row's serial accepted at
// another office caught as reuse (hubtest.CheckRelease, as hub/pgstore's).
func TestReleaseDatabasesOpen(t *testing.T) {
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := steps[len(steps)-1].Version
	dir := filepath.Join("testdata", "releases")
	for _, r := range hubtest.Releases(t, dir) {
		t.Run(r.Name, func(t *testing.T) {
			ctx := context.Background()
			gz, err := os.ReadFile(filepath.Join(dir, r.Name+".db.gz"))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "hub.db")
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("open the database markhub %s made (schema %d): %v", r.Commit, r.Schema, err)
			}
			defer db.Close()
			fresh, err := Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			hubtest.CheckRelease(t, r, latest, releaseDB(db), releaseDB(fresh))
			var res string
			if err := db.db.QueryRow(`PRAGMA quick_check`).Scan(&res); err != nil || res != "ok" {
				t.Errorf("quick_check after the upgrade: %q, %v", res, err)
			}
		})
	}
}

func releaseDB(db *DB) hubtest.ReleaseDB {
	return hubtest.ReleaseDB{
		Store: db,
		Count: func(q string) (int, error) {
			var n int
			err := db.db.QueryRow(q).Scan(&n)
			return n, err
		},
		Schema: func() ([]string, error) { return schemaOf(db.db) },
		ZoneIndexes: func() ([]string, error) {
			return names(db.db, `SELECT name FROM sqlite_master
				WHERE type = 'index' AND tbl_name = 'terminals' AND name LIKE 'terminals_zone%' ORDER BY name`)
		},
	}
}

// schemaOf lists the columns of every table and every index, one a line.
func schemaOf(db *sql.DB) ([]string, error) {
	return names(db, `
		SELECT 'column ' || m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p."notnull" ||
			' default=' || coalesce(p.dflt_value, '-') || ' pk=' || p.pk
		FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'
		UNION ALL
		SELECT 'index ' || name || ' on ' || tbl_name || ': ' || coalesce(sql, '(automatic)') FROM sqlite_master WHERE type = 'index'
		UNION ALL
		SELECT 'trigger ' || name || ': ' || sql FROM sqlite_master WHERE type = 'trigger'
		ORDER BY 1`)
}

func names(db *sql.DB, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
