package sqlitestore

import (
	"context"
	"strings"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
)

var _ hub.FleetPager = (*DB)(nil)

// seenCut is a last-contact bound compared with rtrim(seen_at, 'Z'):
// seen_at is RFC 3339 text with the fraction's trailing zeros cut, and
// without the Z a shorter fraction is a prefix of a longer one, so text
// order is time order to the nanosecond.
func seenCut(t time.Time) string { return strings.TrimSuffix(ts(t), "Z") }

// fleetState is the WHERE condition of a state filter and its arguments.
func fleetState(q hub.FleetQuery) (string, []any) {
	stale, hard := seenCut(q.StaleCut()), seenCut(q.HardCut())
	switch q.State {
	case hub.FleetSilent:
		return ` AND (t.seen_at IS NULL OR rtrim(t.seen_at, 'Z') <= ?)`, []any{stale}
	case hub.FleetStale:
		return ` AND rtrim(t.seen_at, 'Z') <= ? AND rtrim(t.seen_at, 'Z') > ?`, []any{stale, hard}
	case hub.FleetHard:
		return ` AND rtrim(t.seen_at, 'Z') <= ?`, []any{hard}
	case hub.FleetNever:
		return ` AND t.seen_at IS NULL`, nil
	}
	return "", nil
}

// fleetPageQuery is the query of a fleet page and its arguments. The
// key's office narrows the index range (SQLite does not bound an index
// search by a row value), the rest of the key is checked within that
// office.
func fleetPageQuery(q hub.FleetQuery) (string, []any) {
	lo, hi := int64(q.Offices.Lo), int64(q.Offices.Hi)
	key, cmp, order := hub.FleetKey{}, ">", "ASC"
	switch {
	case q.Before != nil:
		key, cmp, order = *q.Before, "<", "DESC"
		hi = min(hi, int64(key.Office))
	case q.After != nil:
		key = *q.After
		lo = max(lo, int64(key.Office))
	}
	cond, args := fleetState(q)
	args = append([]any{lo, hi, key.Office, key.Name}, args...)
	args = append(args, q.Limit+1)
	return `SELECT t.name, t.office, t.token_hash, t.created_at, t.clock_skew_ms, t.seen_at, t.waiting_records, t.waiting_at, t.zone_note,
		r.at, r.keyring_version, r.tariffs_version, r.revocations_version
		FROM terminals t LEFT JOIN records r ON r.rowid = (SELECT rowid FROM records WHERE terminal = t.name ORDER BY at DESC LIMIT 1)
		WHERE coalesce(t.office, 0) BETWEEN ? AND ? AND (coalesce(t.office, 0), t.name) ` + cmp + ` (?, ?)` + cond + `
		ORDER BY coalesce(t.office, 0) ` + order + `, t.name ` + order + ` LIMIT ?`, args
}

// FleetPage implements hub.FleetPager: a walk of the index
// terminals_office_name from the key, one probe of records (terminal, at)
// per row shown, and the counts of the office range in one pass over its
// terminals (38 000 in a few ms; see docs/scaling.md).
func (d *DB) FleetPage(ctx context.Context, q hub.FleetQuery) (hub.FleetPage, error) {
	var page hub.FleetPage
	query, args := fleetPageQuery(q)
	rows, err := d.db.QueryContext(ctx, query, args...)
	if page.Rows, err = sqlrow.Read(rows, err, "fleet page", sqlrow.FleetRow); err != nil {
		return page, err
	}
	c := &page.Counts
	stale, hard := seenCut(q.StaleCut()), seenCut(q.HardCut())
	if err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(seen_at IS NULL), 0),
		coalesce(sum(rtrim(seen_at, 'Z') <= ? AND rtrim(seen_at, 'Z') > ?), 0), coalesce(sum(rtrim(seen_at, 'Z') <= ?), 0)
		FROM terminals WHERE coalesce(office, 0) BETWEEN ? AND ?`, stale, hard, hard, q.Offices.Lo, q.Offices.Hi).
		Scan(&c.Total, &c.Never, &c.Stale, &c.Hard); err != nil {
		return page, hub.Unavailable("fleet counts", err)
	}
	page.Finish(q)
	return page, nil
}
