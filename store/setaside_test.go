package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetAsideBeforeMigration: records and batches set aside by a markd
// before migration 066 (upload_state 'refused', nothing else kept) are
// on the list after the upgrade, their time and the collector's answer
// not known, and can be sent again.
func TestSetAsideBeforeMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 65)
	const (
		refused = "01937a10-0000-7000-8000-000000000001"
		fine    = "01937a10-0000-7000-8000-000000000002"
		batch   = "01937a10-0000-7000-8000-0000000000b1"
	)
	for _, q := range []string{
		`INSERT INTO batches(id, office, counter, state, opened_at, closed_at, upload_state)
			VALUES ('` + batch + `', 426000, '1', 'closed', '2026-01-10T09:00:00Z', '2026-01-10T09:30:00Z', 'refused')`,
		`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, upload_state)
			VALUES ('` + refused + `', '2026-01-10T08:11:00Z', 426000, '1', 'front', 'EPM1:X', 'NOT_A_MARK', '["NOT_A_MARK"]', 'refused')`,
		`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, upload_state)
			VALUES ('` + fine + `', '2026-01-10T08:12:00Z', 426000, '1', 'front', 'EPM1:Y', 'NOT_A_MARK', '["NOT_A_MARK"]', 'uploaded')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db := openAgain(t, path)
	ctx := context.Background()
	list, err := db.ListSetAside(ctx, 0, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("set aside after the upgrade: %+v %v", list, err)
	}
	if list[0].Kind != SetAsideBatch || list[0].Batch == nil || list[0].Batch.ID != batch ||
		list[1].Kind != SetAsideRecord || list[1].Record == nil || list[1].Record.ID != refused {
		t.Fatalf("set aside after the upgrade: %+v", list)
	}
	for _, s := range list {
		if !s.RefusedAt.IsZero() || s.Status != 0 || s.Reason != "" {
			t.Errorf("%s %s: refused at %v, answer %+v; want none kept", s.Kind, s.Ref, s.RefusedAt, s.Refusal)
		}
	}
	if n, err := db.ResendSetAside(ctx, "petrova", list[1].Seq); err != nil || n != 1 {
		t.Fatalf("resend the record: %d %v", n, err)
	}
	recs, err := db.PendingUploads(ctx, 10)
	if err != nil || len(recs) != 1 || recs[0].ID != refused {
		t.Fatalf("outbox after the resend: %+v %v", recs, err)
	}
	if n, _ := db.CountSetAside(ctx); n != 1 {
		t.Fatalf("%d set aside, want the batch left", n)
	}
}

// TestSetAsideQueryPlans: the page of set-aside records, its count and
// what each row names cost the page, not the store: no read of the whole
// scans table, no sort in a temporary b-tree.
func TestSetAsideQueryPlans(t *testing.T) {
	db, _ := scOpen(t)
	recs := listFixture(t, db, 50)
	ctx := context.Background()
	for _, r := range recs[:3] {
		if err := db.RefuseUpload(ctx, r.ID, Refusal{Status: 400, Field: "records[0].text", Reason: "bad"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    string
		args []any
		want string
	}{
		{"page", setAsidePageQuery, []any{int64(1 << 40), 50}, "USING INTEGER PRIMARY KEY"},
		{"count", `SELECT count(*) FROM set_aside`, nil, "set_aside"},
		{"record", `SELECT ` + recordColumns + ` FROM scans WHERE id = ?`, []any{"x"}, "sqlite_autoindex_scans_1"},
		{"batch", `SELECT ` + batchColumns + ` FROM batches WHERE id = ?`, []any{"x"}, "sqlite_autoindex_batches_1"},
		{"event", `SELECT id, at, actor, action, record_id, note, detail FROM audit WHERE id = ?`, []any{1}, "INTEGER PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := strings.Join(queryPlan(t, db, tc.q, tc.args...), "\n")
			if strings.Contains(plan, "SCAN scans") || strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tc.want) {
				t.Errorf("plan:\n%s\nquery: %s", plan, tc.q)
			}
		})
	}
}
