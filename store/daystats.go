package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"markd/mark"
)

// DayCount is the number of scans of one day with one verdict. For
// REJECT, Reason "" counts the rejected scans, and a DayCount per reason
// counts the rejections that had that reason: a rejection with two reasons
// counts once under "" and once under each reason, so the counts with
// Reason "" add up to the number of scans.
type DayCount struct {
	Day     string // YYYY-MM-DD in the office time zone
	Verdict mark.Verdict
	Reason  mark.Reason // "" for the scans; a reason for the per-reason breakdown of REJECT
	N       int
}

// dayGroup is one row of a day's count: scans with one verdict and one
// reasons array (as stored), as day_rollup.counts holds them.
type dayGroup struct {
	Verdict string
	Reasons string
	N       int
}

func (g dayGroup) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{g.Verdict, g.Reasons, g.N})
}

func (g *dayGroup) UnmarshalJSON(b []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	if len(a) != 3 {
		return fmt.Errorf("day group: %d fields, want 3: %w", len(a), mark.ErrInvalid)
	}
	if err := json.Unmarshal(a[0], &g.Verdict); err != nil {
		return err
	}
	if err := json.Unmarshal(a[1], &g.Reasons); err != nil {
		return err
	}
	return json.Unmarshal(a[2], &g.N)
}

// DayStats counts the scans in [from, to) per local day of loc, verdict and
// reason. A local day that has ended is counted once and kept in
// day_rollup (migration 040); later requests read that row, so the cost
// is one row per closed day plus the scans of the days still open (today)
// and of partial days at the ends of the range, whatever the store holds.
func (d *DB) DayStats(ctx context.Context, from, to time.Time, loc *time.Location) ([]DayCount, error) {
	if !from.Before(to) {
		return nil, nil
	}
	zone := loc.String()
	now := d.Now()
	stored, err := d.rollups(ctx, zone, from.In(loc).Format(time.DateOnly), to.In(loc).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	var out []DayCount
	for start := from; start.Before(to); {
		l := start.In(loc)
		// Not time.Date and AddDate: where the clocks jump over midnight
		// they name an instant of the day before, and this loop stood still.
		midnight := mark.StartOfDay(l.Year(), l.Month(), l.Day(), loc)
		end := mark.StartOfDay(l.Year(), l.Month(), l.Day()+1, loc)
		day := l.Format(time.DateOnly)
		segEnd := end
		if to.Before(segEnd) {
			segEnd = to
		}
		var groups []dayGroup
		whole := start.Equal(midnight) && segEnd.Equal(end) && !end.After(now)
		r, ok := stored[day]
		switch {
		case whole && ok && r.from == formatTime(midnight) && r.to == formatTime(end):
			groups = r.groups
		case whole:
			if groups, err = d.rollUp(ctx, zone, day, midnight, end); err != nil {
				return nil, err
			}
		default:
			if groups, err = countRange(ctx, d.db, start, segEnd); err != nil {
				return nil, err
			}
		}
		out = append(out, expandDay(day, groups)...)
		start = segEnd
	}
	return out, nil
}

type rollupRow struct {
	from, to string
	groups   []dayGroup
}

// rollups reads the stored days of zone in [fromDay, toDay].
func (d *DB) rollups(ctx context.Context, zone, fromDay, toDay string) (map[string]rollupRow, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT day, from_at, to_at, counts FROM day_rollup WHERE zone = ? AND day >= ? AND day <= ?`,
		zone, fromDay, toDay)
	if err != nil {
		return nil, storeErr("read day rollup", err)
	}
	defer rows.Close()
	out := map[string]rollupRow{}
	for rows.Next() {
		var day, counts string
		var r rollupRow
		if err := rows.Scan(&day, &r.from, &r.to, &counts); err != nil {
			return nil, storeErr("read day rollup", err)
		}
		if err := json.Unmarshal([]byte(counts), &r.groups); err != nil {
			continue // counted again and rewritten
		}
		out[day] = r
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read day rollup", err)
	}
	return out, nil
}

// rollUp counts one closed day and stores it, in one immediate
// transaction: a scan written into that day afterwards deletes the row
// again (trigger day_rollup_insert), and none can come in between.
func (d *DB) rollUp(ctx context.Context, zone, day string, from, to time.Time) ([]dayGroup, error) {
	var groups []dayGroup
	err := d.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if groups, err = countRange(ctx, tx, from, to); err != nil {
			return err
		}
		b, err := json.Marshal(groups)
		if err != nil {
			return fmt.Errorf("day rollup %s: %w", day, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO day_rollup(zone, day, from_at, to_at, counts) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(zone, day) DO UPDATE SET from_at = excluded.from_at, to_at = excluded.to_at, counts = excluded.counts`,
			zone, day, formatTime(from), formatTime(to), string(b)); err != nil {
			return storeErr("write day rollup", err)
		}
		return nil
	})
	return groups, err
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// dayCountQuery counts the scans of a time range by verdict and reasons
// (a range of the scans_at index).
const dayCountQuery = `SELECT verdict, reasons, count(*) FROM scans WHERE at >= ? AND at < ? GROUP BY verdict, reasons`

func countRange(ctx context.Context, q queryer, from, to time.Time) ([]dayGroup, error) {
	rows, err := q.QueryContext(ctx, dayCountQuery, formatTime(from), formatTime(to))
	if err != nil {
		return nil, storeErr("day stats", err)
	}
	defer rows.Close()
	groups := []dayGroup{}
	for rows.Next() {
		var g dayGroup
		if err := rows.Scan(&g.Verdict, &g.Reasons, &g.N); err != nil {
			return nil, storeErr("day stats", err)
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("day stats", err)
	}
	return groups, nil
}

// expandDay turns a day's groups into counts per verdict and reason, in a
// fixed order.
func expandDay(day string, groups []dayGroup) []DayCount {
	type key struct {
		verdict mark.Verdict
		reason  mark.Reason
	}
	counts := map[key]int{}
	for _, g := range groups {
		v := mark.Verdict(g.Verdict)
		counts[key{v, ""}] += g.N
		var rs []mark.Reason
		if v != mark.Reject || json.Unmarshal([]byte(g.Reasons), &rs) != nil {
			continue
		}
		for _, r := range rs {
			counts[key{v, r}] += g.N
		}
	}
	out := make([]DayCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, DayCount{Day: day, Verdict: k.verdict, Reason: k.reason, N: n})
	}
	slices.SortFunc(out, func(a, b DayCount) int {
		if c := strings.Compare(string(a.Verdict), string(b.Verdict)); c != 0 {
			return c
		}
		return strings.Compare(string(a.Reason), string(b.Reason))
	})
	return out
}
