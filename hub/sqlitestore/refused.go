package sqlitestore

import (
	"context"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.Refusals = (*DB)(nil)

// NoteRefusal implements hub.Refusals: one upsert by (terminal, digest),
// then the terminal's rows past the newest MaxRefusedPerTerminal go.
func (d *DB) NoteRefusal(ctx context.Context, r hub.Refusal) error {
	var at, serial any
	if !r.RecordAt.IsZero() {
		at = ts(r.RecordAt)
	}
	if r.Serial != 0 {
		serial = int64(r.Serial)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if _, err := tx.ExecContext(ctx, `INSERT INTO refused(terminal, digest, status, field, why, record_id, record_at, serial, first_at, last_at, times)
		VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9,1)
		ON CONFLICT (terminal, digest) DO UPDATE SET last_at = max(last_at, excluded.last_at), times = times + 1`,
		r.Terminal, r.Digest(), r.Status, r.Field, r.Why, r.RecordID, at, serial, ts(r.Last)); err != nil {
		return hub.Unavailable("note refusal", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refused WHERE id IN (SELECT id FROM refused WHERE terminal = ?
		ORDER BY last_at DESC, id DESC LIMIT -1 OFFSET ?)`, r.Terminal, hub.MaxRefusedPerTerminal); err != nil {
		return hub.Unavailable("trim refusals", err)
	}
	if err := tx.Commit(); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// Refused implements hub.Refusals, newest first from the index refused_last.
func (d *DB) Refused(ctx context.Context, limit int) ([]hub.Refusal, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT f.id, f.terminal, coalesce(t.office, 0), f.status, f.field, f.why, f.record_id,
		f.record_at, coalesce(f.serial, 0), f.first_at, f.last_at, f.times
		FROM refused f LEFT JOIN terminals t ON t.name = f.terminal ORDER BY f.last_at DESC, f.id DESC LIMIT ?`, limit)
	return sqlrow.Read(rows, err, "refusals", sqlrow.Refusal)
}
