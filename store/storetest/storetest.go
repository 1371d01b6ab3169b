// Package storetest opens real counter stores for the tests of other
// packages (the store's own tests have openTest beside them): a SQLite
// file in t.TempDir, the test clock testdata.Now, cheap password hashes,
// and Close checked when the test ends. Fixtures go through the store's
// own write path (Save), never raw rows.
package storetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// Open opens a fresh store in t.TempDir. Zero options take: a silent log,
// the clock testdata.Now, bcrypt.MinCost.
func Open(t testing.TB, o store.Options) *store.DB {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "markd.db"), o)
}

// OpenAt is Open on the file at path (a store to open again).
func OpenAt(t testing.TB, path string, o store.Options) *store.DB {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = testdata.Now
	}
	if o.PasswordCost == 0 {
		o.PasswordCost = bcrypt.MinCost
	}
	db, err := store.OpenWith(context.Background(), path, o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

// Save records recs in one transaction through the store's write path
// (SaveBatch: ids, reuse rules, the serial claim, the outbox) with the
// given rescan window; the records get their ids and final verdicts.
func Save(t testing.TB, db *store.DB, window time.Duration, recs ...*mark.Record) {
	t.Helper()
	if err := db.SaveBatch(context.Background(), recs, window); err != nil {
		t.Fatalf("save %d records: %v", len(recs), err)
	}
}
