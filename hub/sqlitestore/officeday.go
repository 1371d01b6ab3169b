package sqlitestore

import (
	"context"
	"encoding/json"
	"time"

	"markd/hub"
	"markd/mark"
)

var _ hub.OfficeDays = (*DB)(nil)

// OfficeDays implements hub.OfficeDays: one range scan of the index
// records_office_at (office, at), grouped. Scan times are stored as UTC
// RFC 3339 text, so whole days compare as their YYYY-MM-DD prefixes.
func (d *DB) OfficeDays(ctx context.Context, office uint32, from, to time.Time, fn func(hub.OfficeDayGroup) error) error {
	rows, err := d.db.QueryContext(ctx, officeDaysQuery, office, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return hub.Unavailable("office days", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g hub.OfficeDayGroup
		var verdict, review, reasons string
		if err := rows.Scan(&g.Day, &verdict, &review, &reasons, &g.Unverified, &g.Contract, &g.Count, &g.TariffKop); err != nil {
			return hub.Unavailable("office days", err)
		}
		g.Verdict, g.Review = mark.Verdict(verdict), mark.ReviewState(review)
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

const officeDaysQuery = `SELECT substr(at, 1, 10) AS day, verdict, review_state, reasons,
	verification = 'unverified', coalesce(contract, 0) AS contract,
	count(*), coalesce(sum(json_extract(mark_fields, '$.tariff_kop')), 0)
	FROM records WHERE office = ? AND at >= ? AND at < ?
	GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1`
