package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/internal/sqlrow"
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
	return sqlrow.Read(rows, err, "questioned counts", sqlrow.QuestionedCount)
}

// feedLockSpace is the advisory lock space of the feed's writers: one
// lock per terminal (hashtextextended of its name), taken before seq is
// drawn and held to commit, so a terminal's seqs commit in order and a
// counter that saw one never misses a smaller one committed later.
const feedLockSpace = "markhub.questioned_feed:"

// noteQuestioned renews the feed rows of questioned records of terminal
// (hub.QuestionFeed): new seqs, after the terminal's advisory lock. Call
// it last in the transaction, after every row lock it takes.
func noteQuestioned(ctx context.Context, tx pgx.Tx, terminal string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, feedLockSpace+terminal); err != nil {
		return hub.Unavailable("lock questioned feed", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO questioned_feed(terminal, record_id, seq)
		SELECT $1, u.id, nextval('questioned_feed_seq') FROM unnest($2::text[]) WITH ORDINALITY AS u(id, i) ORDER BY u.i
		ON CONFLICT (terminal, record_id) DO UPDATE SET seq = excluded.seq`, terminal, ids); err != nil {
		return hub.Unavailable("note questioned record", err)
	}
	return nil
}

// QuestionedFeed implements hub.QuestionFeed.
func (d *DB) QuestionedFeed(ctx context.Context, terminal string, after int64, limit int) ([]hub.QuestionedItem, error) {
	rows, err := d.pool.Query(ctx, `SELECT f.seq, r.id, coalesce(r.questioned, ''), coalesce(r.why, ''), r.dispute_reviewed_at,
		r.dispute_by, r.dispute_note FROM questioned_feed f JOIN records r ON r.terminal = f.terminal AND r.id = f.record_id
		WHERE f.terminal = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3`, terminal, after, limit)
	return sqlrow.Read(rows, err, "questioned feed", sqlrow.QuestionedItem)
}

var _ hub.QuestionFeed = (*DB)(nil)
