package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for q.
func queryPlan(t *testing.T, db *DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestQueryPlans keeps every read of the pages, the API, the export, the
// chart and the outbox at O(log n + result): no query reads the whole
// scans table ("SCAN scans" without an index) or sorts its rows in a
// temporary b-tree, and each uses the index meant for it. An ordered walk
// of an index ("SCAN scans USING INDEX …") is allowed only where a LIMIT
// ends it (want names that index).
func TestQueryPlans(t *testing.T) {
	db, _ := scOpen(t)
	listFixture(t, db, 50) // plans of a store with rows; no ANALYZE, as in the field
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	list := func(f Filter) (string, []any) {
		q, args, _, err := listQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		return q, args
	}
	review := func(f ReviewFilter) (string, []any) {
		where, args := f.where()
		return `SELECT ` + recordColumns + f.from() + where + ` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, append(args, 50, 0)
	}
	reviewCount := func(f ReviewFilter) (string, []any) {
		where, args := f.where()
		return `SELECT count(*) FROM (SELECT 1` + f.from() + where + ` LIMIT ?)`, append(args, ReviewCountLimit+1)
	}
	cursor := encodeCursor(formatTime(day), "0190")
	tests := []struct {
		name string
		q    func() (string, []any)
		want string // index the plan must use
		// group: a temporary b-tree for GROUP BY or count(DISTINCT) is
		// allowed (the rows of one bounded time range or one batch, not
		// of the table).
		group bool
	}{
		{"api all", func() (string, []any) { return list(Filter{}) }, "scans_at", false},
		{"api all desc after cursor", func() (string, []any) { return list(Filter{Desc: true, Cursor: cursor}) }, "scans_at", false},
		{"api verdict REJECT", func() (string, []any) { return list(Filter{Verdicts: []mark.Verdict{mark.Reject}}) }, "scans_notaccept", false},
		{"api two verdicts desc", func() (string, []any) {
			return list(Filter{Verdicts: []mark.Verdict{mark.Reject, mark.NotAMark}, Desc: true})
		}, "scans_notaccept", false},
		{"api reason", func() (string, []any) { return list(Filter{Reasons: []mark.Reason{mark.ReasonExpired}}) }, "scans_notaccept", false},
		{"api review pending", func() (string, []any) { return list(Filter{Review: []mark.ReviewState{mark.ReviewPending}}) }, "scans_review_pending", false},
		{"api review confirmed", func() (string, []any) { return list(Filter{Review: []mark.ReviewState{mark.ReviewConfirmed}}) }, "scans_notaccept", false},
		{"api accepted in a day", func() (string, []any) {
			return list(Filter{Verdicts: []mark.Verdict{mark.Accept}, From: day, To: day.AddDate(0, 0, 1)})
		}, "scans_at", false},
		{"api counter", func() (string, []any) { return list(Filter{Counter: "A", Desc: true}) }, "scans_at", false},
		{"review page", func() (string, []any) { return review(ReviewFilter{}) }, "scans_notaccept", false},
		{"review page filtered", func() (string, []any) {
			return review(ReviewFilter{Reason: mark.ReasonUnderpaid, State: mark.ReviewPending, Counter: "A", From: day, To: day.AddDate(0, 0, 7)})
		}, "scans_review_pending", false},
		{"review count pending", func() (string, []any) { return reviewCount(ReviewFilter{State: mark.ReviewPending}) }, "scans_review_pending", false},
		{"review count", func() (string, []any) { return reviewCount(ReviewFilter{}) }, "scans_notaccept", false},
		{"review count by contract", func() (string, []any) { return reviewCount(ReviewFilter{Contract: 1004417}) }, "scans_notaccept", false},
		{"latest records", func() (string, []any) {
			return `SELECT ` + recordColumns + ` FROM scans ORDER BY at DESC, id DESC LIMIT ?`, []any{20}
		}, "scans_at", false},
		{"day count", func() (string, []any) {
			return dayCountQuery, []any{formatTime(day), formatTime(day.AddDate(0, 0, 1))}
		}, "scans_at", true},
		{"outbox", func() (string, []any) {
			cond, from := pendingFrom("0190", "")
			return `SELECT ` + recordColumns + ` FROM scans WHERE ` + cond + ` ORDER BY id LIMIT ?`, []any{from, 500}
		}, "sqlite_autoindex_scans_1", false},
		{"outbox after", func() (string, []any) {
			cond, from := pendingFrom("0190", "0191")
			return `SELECT ` + recordColumns + ` FROM scans WHERE ` + cond + ` ORDER BY id LIMIT ?`, []any{from, 500}
		}, "sqlite_autoindex_scans_1", false},
		{"outbox count and oldest", func() (string, []any) {
			return `SELECT count(*), (SELECT at FROM scans WHERE upload_state = 'pending' AND id >= ?1 ORDER BY id LIMIT 1)
				FROM scans WHERE upload_state = 'pending' AND id >= ?1`, []any{"0190"}
		}, "sqlite_autoindex_scans_1", false},
		{"outbox floor", func() (string, []any) {
			return `SELECT id FROM scans WHERE upload_state = 'pending' AND id >= ? ORDER BY id LIMIT 1`, []any{"0190"}
		}, "sqlite_autoindex_scans_1", false},
		{"refused count", func() (string, []any) {
			return `SELECT count(*) FROM scans WHERE upload_state = 'refused'`, nil
		}, "scans_upload_refused", false},
		{"record by id", func() (string, []any) { return `SELECT ` + recordColumns + ` FROM scans WHERE id = ?`, []any{"x"} }, "sqlite_autoindex_scans_1", false},
		{"first acceptance of a serial (written +?1)", func() (string, []any) { return usedSerialQuery, []any{int64(5)} },
			"sqlite_autoindex_scans_1", false},
		{"a batch's refusals as its receipt counts them", func() (string, []any) { return batchRefusalsQuery, []any{"b"} },
			"scans_batch", true},
		{"first acceptances of a bulk save's serials", func() (string, []any) { return usedSerialsQuery, []any{"[5,7]"} },
			"sqlite_autoindex_scans_1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, args := tc.q()
			plan := queryPlan(t, db, q, args...)
			joined := strings.Join(plan, "\n")
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN scans") && !strings.Contains(line, "USING") {
					t.Errorf("full scan of scans:\n%s\nquery: %s", joined, q)
				}
				if strings.Contains(line, "TEMP B-TREE") && !(tc.group && (strings.Contains(line, "GROUP BY") || strings.Contains(line, "count(DISTINCT)"))) {
					t.Errorf("rows sorted in a temporary b-tree:\n%s\nquery: %s", joined, q)
				}
			}
			if !strings.Contains(joined, "INDEX "+tc.want) {
				t.Errorf("plan does not use %s:\n%s\nquery: %s", tc.want, joined, q)
			}
		})
	}
}
