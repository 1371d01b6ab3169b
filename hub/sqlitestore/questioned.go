package sqlitestore

import (
	"context"
	"database/sql"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

// Questioned implements hub.Questions.
func (d *DB) Questioned(ctx context.Context, state hub.DisputeState, limit int) ([]hub.StoredRecord, error) {
	switch state {
	case hub.DisputeOpen:
		return d.listRecords(ctx, `questioned IS NOT NULL AND dispute_reviewed_at IS NULL ORDER BY at DESC, terminal, id LIMIT ?`, limit)
	case hub.DisputeReviewed:
		return d.listRecords(ctx, `dispute_reviewed_at IS NOT NULL AND questioned IS NOT NULL
			ORDER BY dispute_reviewed_at DESC, terminal, id LIMIT ?`, limit)
	}
	return d.listRecords(ctx, `questioned IS NOT NULL ORDER BY at DESC, terminal, id LIMIT ?`, limit)
}

// QuestionedCounts implements hub.Questions, from the partial index
// records_questioned.
func (d *DB) QuestionedCounts(ctx context.Context, limit int) ([]hub.QuestionedCount, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT office, terminal,
		sum(CASE WHEN dispute_reviewed_at IS NULL THEN 1 ELSE 0 END),
		sum(CASE WHEN dispute_reviewed_at IS NULL THEN 0 ELSE 1 END)
		FROM records WHERE questioned IS NOT NULL GROUP BY office, terminal
		ORDER BY 3 DESC, office, terminal LIMIT ?`, limit)
	return sqlrow.Read(rows, err, "questioned counts", sqlrow.QuestionedCount)
}

// noteQuestioned renews the feed row of a questioned record of terminal
// (hub.QuestionFeed): a new seq, above every one given before.
func noteQuestioned(ctx context.Context, tx *sql.Tx, terminal, id string) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO questioned_feed(terminal, record_id) VALUES (?, ?)`,
		terminal, id); err != nil {
		return hub.Unavailable("note questioned record", err)
	}
	return nil
}

// QuestionedFeed implements hub.QuestionFeed.
func (d *DB) QuestionedFeed(ctx context.Context, terminal string, after int64, limit int) ([]hub.QuestionedItem, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT f.seq, r.id, coalesce(r.questioned, ''), coalesce(r.why, ''),
		r.dispute_reviewed_at, r.dispute_by, r.dispute_note FROM questioned_feed f JOIN records r ON r.terminal = f.terminal AND r.id = f.record_id
		WHERE f.terminal = ? AND f.seq > ? ORDER BY f.seq LIMIT ?`, terminal, after, limit)
	return sqlrow.Read(rows, err, "questioned feed", sqlrow.QuestionedItem)
}

var _ hub.QuestionFeed = (*DB)(nil)
