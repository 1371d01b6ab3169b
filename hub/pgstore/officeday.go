package pgstore

import (
	"context"
	"encoding/json"
	"time"

	"markd/hub"
	"markd/mark"
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
	for rows.Next() {
		var g hub.OfficeDayGroup
		var verdict, review, reasons string
		var contract int64
		if err := rows.Scan(&g.Day, &verdict, &review, &reasons, &g.Unverified, &contract, &g.Count, &g.TariffKop); err != nil {
			return hub.Unavailable("office days", err)
		}
		g.Verdict, g.Review, g.Contract = mark.Verdict(verdict), mark.ReviewState(review), uint32(contract)
		_ = json.Unmarshal([]byte(reasons), &g.Reasons) // written by the store itself (EncodeJSONColumns)
		if err := fn(g); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return hub.Unavailable("office days", err)
	}
	return nil
}
