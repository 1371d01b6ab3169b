package sqlitestore

import (
	"context"

	"markd/hub"
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
	if err != nil {
		return nil, hub.Unavailable("questioned counts", err)
	}
	defer rows.Close()
	var out []hub.QuestionedCount
	for rows.Next() {
		var c hub.QuestionedCount
		if err := rows.Scan(&c.Office, &c.Terminal, &c.Open, &c.Reviewed); err != nil {
			return nil, hub.Unavailable("questioned counts", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("questioned counts", err)
	}
	return out, nil
}
