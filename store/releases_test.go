package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// Release is a store a real older markd made (testdata/releases, made by
// scripts/release-stores.sh) and what it holds (its NAME.json).
type Release struct {
	Name        string    `json:"-"`
	Commit      string    `json:"commit"`
	Schema      int       `json:"schema"`
	MadeAt      time.Time `json:"made_at"`
	Scans       int       `json:"scans"`
	Accepted    []uint64  `json:"accepted"`
	Reused      string    `json:"reused"`
	Overridden  string    `json:"overridden"`
	Confirmed   string    `json:"confirmed"`
	Users       []string  `json:"users"`
	Password    string    `json:"password"`
	Token       string    `json:"token"`
	Batch       string    `json:"batch"`
	BatchScans  int       `json:"batch_scans"`
	Pending     int       `json:"pending"`
	Audit       int       `json:"audit"`
	IDs         []string  `json:"ids"`
	Verdicts    []string  `json:"verdicts"`
	ReviewPages bool      `json:"review_pages"`
}

// releases reads testdata/releases/*.json; each store is unpacked into
// a fresh t.TempDir() by unpackRelease.
func releases(t *testing.T) []Release {
	t.Helper()
	names, rs := testdata.JSONFiles[Release](t, filepath.Join("testdata", "releases"), 3)
	for i := range rs {
		rs[i].Name = names[i]
	}
	return rs
}

// unpackRelease writes the release's store to dir/markd.db.
func unpackRelease(t *testing.T, r Release, dir string) string {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join("testdata", "releases", r.Name+".db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s.db.gz: %v", r.Name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s.db.gz: %v", r.Name, err)
	}
	path := filepath.Join(dir, "markd.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReleaseStoresOpen: every store a real older markd made opens with
// this markd (every later migration applied, the file checked) and keeps
// every record as that markd wrote it: the scans and their verdicts, the
// serials accepted (by a scan or a supervisor's override), the review
// decisions, the accounts and their passwords, the API token, the closed
// batch and the records waiting for the collector.
func TestReleaseStoresOpen(t *testing.T) {
	ctx := context.Background()
	names, err := migrationNames()
	if err != nil {
		t.Fatal(err)
	}
	latest, _, _ := migrationVersion(names[len(names)-1])
	for _, r := range releases(t) {
		t.Run(r.Name, func(t *testing.T) {
			path := unpackRelease(t, r, t.TempDir())
			db, err := OpenExistingWith(ctx, path, Options{Log: quiet, Now: func() time.Time { return r.MadeAt.Add(time.Hour) }})
			if err != nil {
				t.Fatalf("open the store markd %s made (schema %d): %v", r.Commit, r.Schema, err)
			}
			defer db.Close()
			var top, applied int
			relMust(t, db.SQL().QueryRow(`SELECT max(version), count(*) FROM schema_migrations`).Scan(&top, &applied))
			if top != latest || applied != len(names) {
				t.Errorf("schema %d with %d migrations after open, want %d with %d", top, applied, latest, len(names))
			}
			if err := db.Check(ctx); err != nil {
				t.Errorf("check after the upgrade: %v", err)
			}
			var n int
			relMust(t, db.SQL().QueryRow(`SELECT count(*) FROM scans`).Scan(&n))
			if n != r.Scans || len(r.IDs) != r.Scans {
				t.Errorf("%d scans after the upgrade, %d before", n, r.Scans)
			}
			for i, id := range r.IDs {
				rec, err := db.Get(ctx, id)
				if err != nil || string(rec.Verdict) != r.Verdicts[i] {
					t.Errorf("scan %d (%s): %s, %v; want %s", i, id, rec.Verdict, err, r.Verdicts[i])
				}
			}
			for _, serial := range r.Accepted {
				if a, err := db.FirstAcceptance(ctx, serial); err != nil || a == nil {
					t.Errorf("serial %d no longer counts as used: %+v, %v", serial, a, err)
				}
			}
			if rec, err := db.Get(ctx, r.Reused); err != nil || !slices.Contains(rec.Reasons, mark.ReasonReused) {
				t.Errorf("the REUSED scan: %+v, %v", rec.Reasons, err)
			}
			if rec, err := db.Get(ctx, r.Confirmed); err != nil || rec.Review != mark.ReviewConfirmed {
				t.Errorf("the confirmed rejection: review %q, %v", rec.Review, err)
			}
			if rec, err := db.Get(ctx, r.Overridden); err != nil || rec.Review != mark.ReviewOverridden {
				t.Errorf("the overridden rejection: review %q, %v", rec.Review, err)
			}
			if es, err := db.AuditFor(ctx, r.Overridden); err != nil || len(es) != 1 || es[0].Action != ActionOverride {
				t.Errorf("the override's audit line: %+v, %v", es, err)
			}
			relMust(t, db.SQL().QueryRow(`SELECT count(*) FROM audit`).Scan(&n))
			if n != r.Audit {
				t.Errorf("%d audit lines after the upgrade, %d before", n, r.Audit)
			}
			for _, u := range r.Users {
				if _, err := db.Authenticate(ctx, u, r.Password); err != nil {
					t.Errorf("%s logs in no longer: %v", u, err)
				}
			}
			if r.Token != "" {
				toks, err := db.ListTokens(ctx)
				if err != nil || len(toks) != 1 || toks[0].Name != "kassa" {
					t.Errorf("API tokens: %+v, %v", toks, err)
				}
			}
			if r.Batch != "" {
				b, err := db.GetBatch(ctx, r.Batch)
				if err != nil || b.State != mark.BatchClosed {
					t.Errorf("the batch: %+v, %v", b, err)
				}
				relMust(t, db.SQL().QueryRow(`SELECT count(*) FROM scans WHERE batch_id = ?`, r.Batch).Scan(&n))
				if n != r.BatchScans {
					t.Errorf("%d scans in the batch, %d before", n, r.BatchScans)
				}
			}
			st, err := db.OutboxStats(ctx)
			if err != nil || st.Records != r.Pending {
				t.Errorf("outbox: %+v, %v; want %d records waiting", st, err, r.Pending)
			}
		})
	}
}

// relMust fails t on err (the release tests build on every OS; must is
// in a test file of some OSes only).
func relMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
