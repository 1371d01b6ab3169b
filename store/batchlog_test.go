package store

import (
	"context"
	"strings"
	"testing"

	"markd/mark"
)

// TestBatchLog: BatchLog names the newest audit line of a batch action
// after the line given (open, list, close, cancel: from any process, as
// all write the audit in their transaction) and none for other lines (a
// login); the lines after are read by the audit's key, not by a scan of
// the whole log.
func TestBatchLog(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Options{})
	_, upto, err := db.BatchLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Operator: "ivanova"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		do    func() error
		batch bool
	}{
		{"login", func() error { return db.Audit(ctx, AuditEntry{Actor: "ivanova", Action: ActionLogin}) }, false},
		{"list", func() error {
			return db.SetBatchItems(ctx, b.ID, 0, []BatchItem{{Line: 2, N: 1, MailClass: 1, WeightG: 20}}, "cli")
		}, true},
		{"list replaced", func() error {
			return db.SetBatchItems(ctx, b.ID, 0, []BatchItem{{Line: 2, N: 7, MailClass: 1, WeightG: 20}}, "cli")
		}, true},
		{"logout", func() error { return db.Audit(ctx, AuditEntry{Actor: "ivanova", Action: ActionLogout}) }, false},
		{"close", func() error { _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "ivanova"); return err }, true},
		{"nothing", func() error { return nil }, false},
	}
	// The batch's open, before the steps.
	last, next, err := db.BatchLog(ctx, upto)
	if err != nil || last == 0 || last != next {
		t.Fatalf("after the open: last %d upto %d %v, want the open's line", last, next, err)
	}
	upto = next
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		last, next, err := db.BatchLog(ctx, upto)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.batch != (last > upto) || (!s.batch && last != 0) || (s.batch && last != next) {
			t.Errorf("%s: last %d upto %d after %d, batch action %v", s.name, last, next, upto, s.batch)
		}
		upto = next
	}
	var plan []string
	rows, err := db.SQL().QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT coalesce(max(id), 0) FROM audit WHERE id > ? AND id <= ? AND action IN (?, ?, ?, ?)`,
		1, 2, ActionBatchOpen, ActionBatchList, ActionBatchClose, ActionBatchCancel)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "INTEGER PRIMARY KEY (rowid>? AND rowid<?)") {
		t.Errorf("the batch lines after an id are not read by the audit's key: %s", p)
	}
}
