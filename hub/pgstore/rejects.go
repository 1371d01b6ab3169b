package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.RejectRanker = (*DB)(nil)

// addTally adds an upload's new records to the per office and day rollup
// in the upload's transaction: one statement per table, rows in key
// order so two uploads lock them in one order.
func addTally(ctx context.Context, tx pgx.Tx, t *hub.RejectTally) error {
	if len(t.Days) == 0 {
		return nil
	}
	var offices, acc, rej, ovr, oth []int64
	var days []string
	for _, k := range t.SortedDays() {
		c := t.Days[k]
		offices, days = append(offices, int64(k.Office)), append(days, k.Day)
		acc, rej, ovr, oth = append(acc, c.Accepted), append(rej, c.Rejected), append(ovr, c.Overridden), append(oth, c.Other)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO office_day_counts AS c (office, day, accepted, rejected, overridden, other)
		SELECT o, d, a, r, v, x FROM unnest($1::bigint[], $2::date[], $3::int[], $4::int[], $5::int[], $6::int[])
			WITH ORDINALITY AS u(o, d, a, r, v, x, i) ORDER BY i
		ON CONFLICT (day, office) DO UPDATE SET accepted = c.accepted + excluded.accepted, rejected = c.rejected + excluded.rejected,
			overridden = c.overridden + excluded.overridden, other = c.other + excluded.other`,
		offices, days, acc, rej, ovr, oth); err != nil {
		return hub.Unavailable("office day rollup", err)
	}
	if len(t.Reasons) == 0 {
		return nil
	}
	var roff, n []int64
	var rdays, reasons []string
	for _, k := range t.SortedReasons() {
		roff, rdays, reasons, n = append(roff, int64(k.Office)), append(rdays, k.Day), append(reasons, string(k.Reason)), append(n, t.Reasons[k])
	}
	if _, err := tx.Exec(ctx, `INSERT INTO office_day_reasons AS c (office, day, reason, n)
		SELECT o, d, w, k FROM unnest($1::bigint[], $2::date[], $3::text[], $4::int[]) WITH ORDINALITY AS u(o, d, w, k, i) ORDER BY i
		ON CONFLICT (office, day, reason) DO UPDATE SET n = c.n + excluded.n`, roff, rdays, reasons, n); err != nil {
		return hub.Unavailable("office day reasons", err)
	}
	return nil
}

// RejectRanking implements hub.RejectRanker: a range of the rollup's
// (day, office) key grouped by office, then the reasons of the offices
// ranked from (office, day, reason).
func (d *DB) RejectRanking(ctx context.Context, q hub.RejectQuery) ([]hub.OfficeRejects, error) {
	from, to := q.From.UTC().Format(time.DateOnly), q.To.UTC().Format(time.DateOnly)
	// One read-only transaction: the national month groups ~1.2 M rollup
	// rows by 38 000 offices; with the default work_mem that spills to
	// disk, and JIT compiling costs more than it saves here.
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, hub.Unavailable("reject ranking", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`); err != nil {
		return nil, hub.Unavailable("reject ranking", err)
	}
	rows, err := tx.Query(ctx, `SELECT office, sum(accepted), sum(rejected), sum(overridden), sum(other)
		FROM office_day_counts WHERE day >= $1::date AND day < $2::date AND office BETWEEN $3 AND $4
		GROUP BY office HAVING sum(accepted) + sum(rejected) >= greatest($5, 1)
		ORDER BY sum(rejected)::float8 / (sum(accepted) + sum(rejected)) DESC, sum(rejected) DESC, office LIMIT $6`,
		from, to, int64(q.Offices.Lo), int64(q.Offices.Hi), q.MinJudged, q.Limit)
	if err != nil {
		return nil, hub.Unavailable("reject ranking", err)
	}
	out, err := sqlrow.All(rows, "reject ranking", sqlrow.OfficeRejects)
	rows.Close()
	if err != nil || len(out) == 0 || q.TopReasons <= 0 {
		return out, err
	}
	ids := make([]int64, len(out))
	for i, o := range out {
		ids[i] = int64(o.Office)
	}
	rrows, err := tx.Query(ctx, `SELECT office, reason, sum(n) FROM office_day_reasons
		WHERE office = ANY($3) AND day >= $1::date AND day < $2::date GROUP BY office, reason`, from, to, ids)
	if err != nil {
		return nil, hub.Unavailable("reject reasons", err)
	}
	defer rrows.Close()
	if err := sqlrow.AddReasons(rrows, out, q.TopReasons); err != nil {
		return nil, err
	}
	return out, nil
}
