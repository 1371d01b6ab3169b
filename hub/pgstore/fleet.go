package pgstore

import (
	"context"
	"strconv"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.FleetPager = (*DB)(nil)

// fleetState is the WHERE condition of a state filter and its arguments
// (numbered from $5).
func fleetState(q hub.FleetQuery) (string, []any) {
	switch q.State {
	case hub.FleetSilent:
		return ` AND (t.seen_at IS NULL OR t.seen_at <= $5)`, []any{q.StaleCut()}
	case hub.FleetStale:
		return ` AND t.seen_at <= $5 AND t.seen_at > $6`, []any{q.StaleCut(), q.HardCut()}
	case hub.FleetHard:
		return ` AND t.seen_at <= $5`, []any{q.HardCut()}
	case hub.FleetNever:
		return ` AND t.seen_at IS NULL`, nil
	}
	return "", nil
}

// FleetPage implements hub.FleetPager: a walk of the index
// terminals_office_name from the key, one probe of records_terminal_at
// per row shown, and the counts of the office range in one pass over its
// terminals (see docs/scaling.md for the time at 38 000).
func (d *DB) FleetPage(ctx context.Context, q hub.FleetQuery) (hub.FleetPage, error) {
	var page hub.FleetPage
	key, cmp, order := hub.FleetKey{}, ">", "ASC"
	switch {
	case q.Before != nil:
		key, cmp, order = *q.Before, "<", "DESC"
	case q.After != nil:
		key = *q.After
	}
	cond, args := fleetState(q)
	args = append([]any{int64(q.Offices.Lo), int64(q.Offices.Hi), int64(key.Office), key.Name}, args...)
	rows, err := d.pool.Query(ctx, `SELECT t.name, t.office, t.token_hash, t.created_at, t.clock_skew_ms, t.seen_at, t.waiting_records, t.waiting_at, t.zone_note,
		r.at, r.keyring_version, r.tariffs_version, r.revocations_version
		FROM terminals t LEFT JOIN LATERAL (SELECT at, keyring_version, tariffs_version, revocations_version
			FROM records WHERE terminal = t.name ORDER BY at DESC LIMIT 1) r ON true
		WHERE coalesce(t.office, 0) BETWEEN $1 AND $2 AND (coalesce(t.office, 0), t.name) `+cmp+` ($3, $4)`+cond+`
		ORDER BY coalesce(t.office, 0) `+order+`, t.name `+order+` LIMIT `+strconv.Itoa(q.Limit+1), args...)
	if page.Rows, err = sqlrow.Read(rows, err, "fleet page", sqlrow.FleetRow); err != nil {
		return page, err
	}
	c := &page.Counts
	if err := d.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE seen_at IS NULL),
		count(*) FILTER (WHERE seen_at <= $1 AND seen_at > $2), count(*) FILTER (WHERE seen_at <= $2)
		FROM terminals WHERE coalesce(office, 0) BETWEEN $3 AND $4`, q.StaleCut(), q.HardCut(), int64(q.Offices.Lo), int64(q.Offices.Hi)).
		Scan(&c.Total, &c.Never, &c.Stale, &c.Hard); err != nil {
		return page, hub.Unavailable("fleet counts", err)
	}
	page.Finish(q)
	return page, nil
}
