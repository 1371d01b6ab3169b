package sqlitestore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/hub"
)

// TestRefuseNewerSchema: a collector database a newer markhub migrated
// (a version past this markhub's last migration) is refused at open with
// both versions named and what to do, and the file is left as it was:
// an older markhub neither applies its own steps around the newer ones
// nor writes records under a schema it does not know.
func TestRefuseNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	known := steps[len(steps)-1].Version
	newer := known + 1
	if _, err := db.db.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, 'newer.sql', 'x')`, newer); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), path)
	if !errors.Is(err, hub.ErrSchemaNewer) {
		t.Fatalf("open: %v, want ErrSchemaNewer", err)
	}
	for _, s := range []string{path, fmt.Sprintf("migration %d applied", newer), fmt.Sprintf("knows up to %d", known)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q lacks %q", err, s)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Error("the refused database's file changed")
	}
}
