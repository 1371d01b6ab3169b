package sqlitestore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.RejectRanker = (*DB)(nil)

// addTally adds an upload's new records to the per office and day rollup,
// in the upload's transaction.
func addTally(ctx context.Context, tx *sql.Tx, t *hub.RejectTally) error {
	for _, k := range t.SortedDays() {
		c := t.Days[k]
		if _, err := tx.ExecContext(ctx, `INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(day, office) DO UPDATE SET accepted = accepted + excluded.accepted,
			rejected = rejected + excluded.rejected, overridden = overridden + excluded.overridden, other = other + excluded.other`,
			k.Office, k.Day, c.Accepted, c.Rejected, c.Overridden, c.Other); err != nil {
			return hub.Unavailable("office day rollup", err)
		}
	}
	for _, k := range t.SortedReasons() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO office_day_reasons(office, day, reason, n) VALUES (?, ?, ?, ?)
			ON CONFLICT(office, day, reason) DO UPDATE SET n = n + excluded.n`, k.Office, k.Day, string(k.Reason), t.Reasons[k]); err != nil {
			return hub.Unavailable("office day reasons", err)
		}
	}
	return nil
}

// rankingQuery ranks the offices of [from, to) and an office range.
const rankingQuery = `SELECT office, sum(accepted), sum(rejected), sum(overridden), sum(other)
	FROM office_day_counts WHERE day >= ? AND day < ? AND office BETWEEN ? AND ?
	GROUP BY office HAVING sum(accepted) + sum(rejected) >= max(?, 1)
	ORDER BY CAST(sum(rejected) AS REAL) / (sum(accepted) + sum(rejected)) DESC, sum(rejected) DESC, office LIMIT ?`

// rankingSQL is rankingQuery for an office range: the country or a wide
// region (a prefix of 0–2 digits) reads its days from the (day, office)
// key (the unary + keeps SQLite off the office index, which would read
// every day of every office); a narrower one reads its offices from
// (office, day).
func rankingSQL(o hub.OfficeRange) string {
	if len(o.Prefix) < 3 {
		return strings.Replace(rankingQuery, "AND office BETWEEN", "AND +office BETWEEN", 1)
	}
	return rankingQuery
}

// RejectRanking implements hub.RejectRanker: a range of the rollup's
// (day, office) key grouped by office, then the reasons of the offices
// ranked from (office, day, reason).
func (d *DB) RejectRanking(ctx context.Context, q hub.RejectQuery) ([]hub.OfficeRejects, error) {
	from, to := q.From.UTC().Format(time.DateOnly), q.To.UTC().Format(time.DateOnly)
	rows, err := d.db.QueryContext(ctx, rankingSQL(q.Offices),
		from, to, int64(q.Offices.Lo), int64(q.Offices.Hi), q.MinJudged, q.Limit)
	if err != nil {
		return nil, hub.Unavailable("reject ranking", err)
	}
	out, err := sqlrow.All(rows, "reject ranking", sqlrow.OfficeRejects)
	rows.Close()
	if err != nil || len(out) == 0 || q.TopReasons <= 0 {
		return out, err
	}
	args := []any{from, to}
	for _, o := range out {
		args = append(args, o.Office)
	}
	rrows, err := d.db.QueryContext(ctx, `SELECT office, reason, sum(n) FROM office_day_reasons
		WHERE day >= ? AND day < ? AND office IN (?`+strings.Repeat(",?", len(out)-1)+`) GROUP BY office, reason`, args...)
	if err != nil {
		return nil, hub.Unavailable("reject reasons", err)
	}
	defer rrows.Close()
	if err := sqlrow.AddReasons(rrows, out, q.TopReasons); err != nil {
		return nil, err
	}
	return out, nil
}
