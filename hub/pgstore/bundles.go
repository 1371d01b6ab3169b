package pgstore

import (
	"context"
	"fmt"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

// PutBundle implements hub.Store. The table lock makes concurrent
// publishers take turns, so versions stay strictly increasing.
func (d *DB) PutBundle(ctx context.Context, version uint64, data []byte, created time.Time) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, `LOCK TABLE bundles IN EXCLUSIVE MODE`); err != nil {
		return hub.Unavailable("lock bundles", err)
	}
	var latest int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM bundles`).Scan(&latest); err != nil {
		return hub.Unavailable("read bundles", err)
	}
	if err := hub.CheckBundleVersion(version, latest); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO bundles(version, created_at, data) VALUES ($1,$2,$3)`, int64(version), created, data); err != nil {
		return hub.Unavailable("insert bundle", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// LatestBundle implements hub.Store.
func (d *DB) LatestBundle(ctx context.Context) (uint64, []byte, error) {
	var v int64
	var data []byte
	err := d.pool.QueryRow(ctx, `SELECT version, data FROM bundles ORDER BY version DESC LIMIT 1`).Scan(&v, &data)
	if err != nil {
		return 0, nil, sqlrow.One(err, "read bundle", fmt.Errorf("no bundle published: %w", mark.ErrNotFound))
	}
	return uint64(v), data, nil
}

// Check implements hub.Store: one query, the newest bundle and the open
// disputed acceptances (the partial index records_disputed_open of each
// month, stopped past hub.DisputedOpenCap) and the open questioned
// rejections (records_questioned_open, likewise).
func (d *DB) Check(ctx context.Context) (hub.StoreCheck, error) {
	c, err := sqlrow.StoreCheck(d.pool.QueryRow(ctx, `SELECT b.version, b.created_at,
		(SELECT count(*) FROM (SELECT 1 FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT $1) o),
		(SELECT count(*) FROM (SELECT 1 FROM records WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT $2) q),
		(SELECT count(*) FROM terminals WHERE zone_check = 'differs'),
		(SELECT count(*) FROM terminals WHERE zone_check = 'data_differ')
		FROM (SELECT 1) one LEFT JOIN (SELECT version, created_at FROM bundles ORDER BY version DESC LIMIT 1) b ON true`,
		hub.DisputedOpenCap+1, hub.QuestionedOpenCap+1))
	if err != nil {
		return hub.StoreCheck{}, hub.Unavailable("health check", err)
	}
	return c, nil
}

// Bundles implements hub.Store.
func (d *DB) Bundles(ctx context.Context, after uint64) ([]hub.StoredBundle, error) {
	rows, err := d.pool.Query(ctx, `SELECT version, data FROM bundles WHERE version > $1 ORDER BY version`, int64(after))
	return sqlrow.Read(rows, err, "read bundles", sqlrow.Bundle)
}
