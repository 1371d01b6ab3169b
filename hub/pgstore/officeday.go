package pgstore

import (
	"context"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.OfficeDays = (*DB)(nil)

// OfficeDays implements hub.OfficeDays: one range scan of the index
// records_office_at (office, at) on the partitions of the range, grouped.
func (d *DB) OfficeDays(ctx context.Context, office uint32, from, to time.Time, fn func(hub.OfficeDayGroup) error) error {
	rows, err := d.pool.Query(ctx, `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, verdict, review_state, reasons,
		verification = 'unverified', coalesce(contract, 0) AS contract,
		count(*), coalesce(sum((mark_fields::jsonb ->> 'tariff_kop')::bigint), 0)
		FROM records WHERE office = $1 AND at >= $2 AND at < $3
		GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1`, int64(office), from.UTC(), to.UTC())
	if err != nil {
		return hub.Unavailable("office days", err)
	}
	defer rows.Close()
	return sqlrow.Each(rows, "office days", sqlrow.OfficeDayGroup, fn)
}
