package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
)

func open(t *testing.T) hub.Store {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStoreSuite(t *testing.T) { hubtest.RunStoreSuite(t, open) }

func TestServerSuite(t *testing.T) { hubtest.RunServerSuite(t, open) }

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTerminal(ctx, hub.Terminal{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Terminal(ctx, "a"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func BenchmarkIngest2000(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hubtest.BenchIngest(b, db, 2000)
}
