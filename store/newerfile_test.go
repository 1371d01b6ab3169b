package store

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFileRefusesNewer: the cheap look at a store (markd doctor
// without --deep, and every open before SQLite) refuses a store a newer
// markd migrated, naming both versions, and reads it without changing a
// byte or making a file beside it; a store of this markd's schema passes.
func TestCheckFileRefusesNewer(t *testing.T) {
	db, path := scOpen(t)
	relMust(t, db.Close())
	if err := CheckFile(path); err != nil {
		t.Fatalf("CheckFile of this markd's store: %v", err)
	}
	db, path = scOpen(t)
	if _, err := db.SQL().Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, '999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	relMust(t, db.Close())
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := migrationNames()
	_, last, _ := migrationVersion(names[len(names)-1])
	known := strings.SplitN(last, "_", 2)[0]
	err = CheckFile(path)
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("CheckFile: %v, want ErrSchemaNewer", err)
	}
	for _, s := range []string{path, "migration 999 applied", "knows up to " + strings.TrimLeft(known, "0")} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q lacks %q", err, s)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Error("CheckFile changed the store's bytes")
	}
	for _, side := range []string{"-wal", "-shm"} {
		if exists(path + side) {
			t.Errorf("CheckFile left %s%s", path, side)
		}
	}
}

// TestFileSchema: the schema a store file records, as `markd doctor`
// names it: this markd's own on a new store, a newer one's after a newer
// markd migrated it, none for an SQLite file that is not a store.
func TestFileSchema(t *testing.T) {
	db, path := scOpen(t)
	relMust(t, db.Close())
	top, known, err := FileSchema(path)
	if err != nil || known == 0 || top != known {
		t.Fatalf("new store: schema %d, known %d, %v; want both the last migration", top, known, err)
	}
	db, path = scOpen(t)
	if _, err := db.SQL().Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, 'newer.sql', 'x')`, known+1); err != nil {
		t.Fatal(err)
	}
	relMust(t, db.Close())
	if got, _, err := FileSchema(path); err != nil || got != known+1 {
		t.Errorf("after a newer markd: schema %d, %v; want %d", got, err, known+1)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite3", "file:"+other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if got, k, err := FileSchema(other); err != nil || got != 0 || k != known {
		t.Errorf("another program's database: schema %d, known %d, %v; want 0, %d", got, k, err, known)
	}
}
