package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

// PutBundle implements hub.Store.
func (d *DB) PutBundle(ctx context.Context, version uint64, data []byte, created time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var latest int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM bundles`).Scan(&latest); err != nil {
		return hub.Unavailable("read bundles", err)
	}
	if err := hub.CheckBundleVersion(version, latest); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO bundles(version, created_at, data) VALUES (?,?,?)`, int64(version), ts(created), data); err != nil {
		return hub.Unavailable("insert bundle", err)
	}
	if err := tx.Commit(); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// LatestBundle implements hub.Store.
func (d *DB) LatestBundle(ctx context.Context) (uint64, []byte, error) {
	var v int64
	var data []byte
	err := d.db.QueryRowContext(ctx, `SELECT version, data FROM bundles ORDER BY version DESC LIMIT 1`).Scan(&v, &data)
	if err != nil {
		return 0, nil, sqlrow.One(err, "read bundle", fmt.Errorf("no bundle published: %w", mark.ErrNotFound))
	}
	return uint64(v), data, nil
}

// checkQuery is the health query (Check); its argument bounds the count.
const checkQuery = `SELECT (SELECT version FROM bundles ORDER BY version DESC LIMIT 1),
	(SELECT created_at FROM bundles ORDER BY version DESC LIMIT 1),
	(SELECT count(*) FROM (SELECT 1 FROM records WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT ?)),
	(SELECT count(*) FROM (SELECT 1 FROM records INDEXED BY records_questioned_open
		WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL LIMIT ?)),
	(SELECT count(*) FROM terminals WHERE zone_check = 'differs'),
	(SELECT count(*) FROM terminals WHERE zone_check = 'data_differ')`

// Check implements hub.Store: one query, the newest bundle and the open
// disputed acceptances (a search of the partial index
// records_disputed_open, stopped past hub.DisputedOpenCap) and the open
// questioned rejections (records_questioned_open, likewise).
func (d *DB) Check(ctx context.Context) (hub.StoreCheck, error) {
	c, err := sqlrow.StoreCheck(d.db.QueryRowContext(ctx, checkQuery, hub.DisputedOpenCap+1, hub.QuestionedOpenCap+1))
	if err != nil {
		return hub.StoreCheck{}, hub.Unavailable("health check", err)
	}
	return c, nil
}

// Bundles implements hub.Store.
func (d *DB) Bundles(ctx context.Context, after uint64) ([]hub.StoredBundle, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT version, data FROM bundles WHERE version > ? ORDER BY version`, int64(after))
	return sqlrow.Read(rows, err, "read bundles", sqlrow.Bundle)
}
