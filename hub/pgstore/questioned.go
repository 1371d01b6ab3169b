package pgstore

import (
	"context"

	"markd/hub"
)

// Questioned implements hub.Questions.
func (d *DB) Questioned(ctx context.Context, state hub.DisputeState, limit int) ([]hub.StoredRecord, error) {
	switch state {
	case hub.DisputeOpen:
		return d.listRecords(ctx, `questioned IS NOT NULL AND dispute_reviewed_at IS NULL ORDER BY at DESC, terminal, id LIMIT $1`, limit)
	case hub.DisputeReviewed:
		return d.listRecords(ctx, `dispute_reviewed_at IS NOT NULL AND questioned IS NOT NULL
			ORDER BY dispute_reviewed_at DESC, terminal, id LIMIT $1`, limit)
	}
	return d.listRecords(ctx, `questioned IS NOT NULL ORDER BY at DESC, terminal, id LIMIT $1`, limit)
}

// QuestionedCounts implements hub.Questions, from the partial index
// records_questioned of each month.
func (d *DB) QuestionedCounts(ctx context.Context, limit int) ([]hub.QuestionedCount, error) {
	rows, err := d.pool.Query(ctx, `SELECT office, terminal,
		count(*) FILTER (WHERE dispute_reviewed_at IS NULL),
		count(*) FILTER (WHERE dispute_reviewed_at IS NOT NULL)
		FROM records WHERE questioned IS NOT NULL GROUP BY office, terminal
		ORDER BY 3 DESC, office, terminal LIMIT $1`, limit)
	if err != nil {
		return nil, hub.Unavailable("questioned counts", err)
	}
	defer rows.Close()
	var out []hub.QuestionedCount
	for rows.Next() {
		var c hub.QuestionedCount
		var office int64
		if err := rows.Scan(&office, &c.Terminal, &c.Open, &c.Reviewed); err != nil {
			return nil, hub.Unavailable("questioned counts", err)
		}
		c.Office = uint32(office)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("questioned counts", err)
	}
	return out, nil
}
