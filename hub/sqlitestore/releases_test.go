package sqlitestore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/hub"
)

// hubRelease is a collector database a real older markhub made
// (testdata/releases, made by scripts/release-stores.sh with a markhub of
// the same commit) and what it holds.
type hubRelease struct {
	Commit    string   `json:"commit"`
	Schema    int      `json:"schema"`
	Records   int      `json:"records"`
	Events    int      `json:"events"`
	Batches   int      `json:"batches"`
	Serials   int      `json:"serials"`
	Bundles   int      `json:"bundles"`
	RecordIDs []string `json:"record_ids"`
}

// TestReleaseDatabasesOpen: every collector database a real older markhub
// made (a counter of the same release uploaded its day to it: records,
// review decisions, a batch, the serials, a bundle) opens with this
// markhub, every later migration applied, and keeps every row.
func TestReleaseDatabasesOpen(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "releases", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no release databases in testdata/releases (scripts/release-stores.sh): %v", err)
	}
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := steps[len(steps)-1].Version
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var r hubRelease
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			gz, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".db.gz")
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
			db, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("open the database markhub %s made (schema %d): %v", r.Commit, r.Schema, err)
			}
			defer db.Close()
			count := func(q string) int {
				var n int
				if err := db.db.QueryRow(q).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			if top := count(`SELECT max(version) FROM schema_migrations`); top != latest {
				t.Errorf("schema %d after open, want %d", top, latest)
			}
			for _, c := range []struct {
				table string
				want  int
			}{{"records", r.Records}, {"events", r.Events}, {"batches", r.Batches}, {"used_serials", r.Serials}, {"bundles", r.Bundles}} {
				if got := count(`SELECT count(*) FROM ` + c.table); got != c.want {
					t.Errorf("%s: %d rows after the upgrade, %d before", c.table, got, c.want)
				}
			}
			for _, id := range r.RecordIDs {
				var n int
				if err := db.db.QueryRow(`SELECT count(*) FROM records WHERE id = ?`, id).Scan(&n); err != nil || n != 1 {
					t.Errorf("record %s: %d, %v", id, n, err)
				}
			}
			var res string
			if err := db.db.QueryRow(`PRAGMA quick_check`).Scan(&res); err != nil || res != "ok" {
				t.Errorf("quick_check after the upgrade: %q, %v", res, err)
			}
		})
	}
}
