package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"markd/hub"
)

// migrateLock is the advisory lock key that makes markhub processes
// opening one database apply migrations one at a time.
const migrateLock = 0x6d61726b68756221

// migrate applies the migrations not yet recorded, each in its own
// transaction holding the advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	steps, err := hub.Migrations(migrations, "migrations")
	if err != nil {
		return err
	}
	// before any step: a database a newer markhub migrated is left as it is
	var top int
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if exists {
		if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&top); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	if err := hub.RefuseNewer("postgres database "+pool.Config().ConnConfig.Database, top, steps); err != nil {
		return err
	}
	for _, m := range steps {
		if err := applyStep(ctx, pool, m); err != nil {
			return err
		}
	}
	return nil
}

func applyStep(ctx context.Context, pool *pgxpool.Pool, m hub.Migration) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migration %s: lock: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply migration %s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, now())`,
		m.Version, m.Name); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	return tx.Commit(ctx)
}
