package pgstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/hubtest"
)

var releasesDir = filepath.Join("testdata", "releases")

// TestReleaseDatabasesOpen: every collector database a real older markhub
// made on PostgreSQL (a counter of the same release uploaded its day to
// it; testdata/releases, pg_dump of scripts/release-stores.sh), restored
// into a fresh database, opens with this markhub, every later migration
// applied: every row kept, the schema a fresh database's (the zone
// indexes of migration 063 included), the same records sent again stored
// once, a new upload accepted, an old row's serial accepted at another
// office caught as reuse.
func TestReleaseDatabasesOpen(t *testing.T) {
	if ok, why := hubtest.Available(); !ok {
		t.Skip("PostgreSQL tests skipped: " + why)
	}
	if clusterErr != nil {
		t.Fatalf("start PostgreSQL: %v", clusterErr)
	}
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := steps[len(steps)-1].Version
	for _, r := range hubtest.Releases(t, releasesDir) {
		t.Run(r.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn, err := cluster.NewDatabase(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := hubtest.RestoreDump(ctx, dsn, filepath.Join(releasesDir, r.Name+".sql.gz")); err != nil {
				t.Fatalf("restore the database markhub %s made (schema %d, PostgreSQL %s): %v", r.Commit, r.Schema, r.Server, err)
			}
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatalf("open the database markhub %s made (schema %d): %v", r.Commit, r.Schema, err)
			}
			defer db.Close()
			fresh := open(t).(*DB)
			defer fresh.Close()
			hubtest.CheckRelease(t, r, latest, releaseDB(db), releaseDB(fresh))
		})
	}
}

func releaseDB(db *DB) hubtest.ReleaseDB {
	ctx := context.Background()
	return hubtest.ReleaseDB{
		Store: db,
		Count: func(q string) (int, error) {
			var n int
			err := db.pool.QueryRow(ctx, q).Scan(&n)
			return n, err
		},
		Schema: func() ([]string, error) { return schemaOf(db) },
		ZoneIndexes: func() ([]string, error) {
			rows, err := db.pool.Query(ctx, `SELECT indexname FROM pg_indexes
				WHERE schemaname = 'public' AND tablename = 'terminals' AND indexname LIKE 'terminals\_zone%' ORDER BY indexname`)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
	}
}

// schemaOf lists the columns, indexes and constraints of every table but
// the records partitions (made by month, as records come), one a line.
func schemaOf(db *DB) ([]string, error) {
	rows, err := db.pool.Query(context.Background(), `
		SELECT 'column ' || c.table_name || '.' || c.column_name || ' ' || c.data_type || ' null=' || c.is_nullable ||
			' default=' || coalesce(c.column_default, '-')
		FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace
		WHERE c.table_schema = 'public' AND NOT k.relispartition
		UNION ALL
		SELECT 'index ' || i.indexname || ': ' || i.indexdef
		FROM pg_indexes i JOIN pg_class k ON k.relname = i.tablename AND k.relnamespace = 'public'::regnamespace
		WHERE i.schemaname = 'public' AND NOT k.relispartition
		UNION ALL
		SELECT 'constraint ' || k.relname || '.' || n.conname || ': ' || pg_get_constraintdef(n.oid)
		FROM pg_constraint n JOIN pg_class k ON k.oid = n.conrelid
		WHERE k.relnamespace = 'public'::regnamespace AND NOT k.relispartition
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
