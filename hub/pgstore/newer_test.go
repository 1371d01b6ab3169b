package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"markd/hub"
	"markd/hub/hubtest"
)

// TestRefuseNewerSchema: a collector database a newer markhub migrated is
// refused at open with both versions named, and left as it was: no step
// applied, no row of schema_migrations added or changed.
func TestRefuseNewerSchema(t *testing.T) {
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL tests skipped: " + why)
	}
	if clusterErr != nil {
		t.Fatalf("start PostgreSQL: %v", clusterErr)
	}
	ctx := context.Background()
	dsn, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	known := steps[len(steps)-1].Version
	newer := known + 1
	pool := db.Pool()
	// a newer markhub's step, and one of ours it replaced (as if dropped)
	if _, err := pool.Exec(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, 'newer.sql', now())`, newer); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, known); err != nil {
		t.Fatal(err)
	}
	var before string
	state := `SELECT string_agg(version || ' ' || name || ' ' || applied_at, ',' ORDER BY version) FROM schema_migrations`
	if err := pool.QueryRow(ctx, state).Scan(&before); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, dsn)
	if !errors.Is(err, hub.ErrSchemaNewer) {
		t.Fatalf("open: %v, want ErrSchemaNewer", err)
	}
	for _, s := range []string{fmt.Sprintf("migration %d applied", newer), fmt.Sprintf("knows up to %d", known)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q lacks %q", err, s)
		}
	}
	var after string
	if err := pool.QueryRow(ctx, state).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("schema_migrations changed by the refused open:\n%s\n%s", before, after)
	}
	db.Close()
}
