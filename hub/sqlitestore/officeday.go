package sqlitestore

import (
	"context"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
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
	return sqlrow.Each(rows, "office days", sqlrow.OfficeDayGroup, fn)
}

const officeDaysQuery = `SELECT substr(at, 1, 10) AS day, verdict, review_state, reasons,
	verification = 'unverified', coalesce(contract, 0) AS contract,
	count(*), coalesce(sum(json_extract(mark_fields, '$.tariff_kop')), 0)
	FROM records WHERE office = ? AND at >= ? AND at < ?
	GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1`
