package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestUpgradeBatchOverrides: overrides to accept made by a markd before
// migration 067 (review_state overridden, an audit line) are taken over
// with the audit's supervisor and time: in a batch still open they count
// in it from then on; in an ended batch they are later decisions, so the
// receipt handed over (made without them) stays what the batch says.
func TestUpgradeBatchOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 65)
	const (
		open, closed     = "01937a10-0000-7000-8000-0000000000b1", "01937a10-0000-7000-8000-0000000000b2"
		inOpen, inClosed = "01937a10-0000-7000-8000-000000000001", "01937a10-0000-7000-8000-000000000002"
		pending          = "01937a10-0000-7000-8000-000000000003"
	)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO batches(id, office, counter, contract, state, opened_at, closed_at)
			VALUES (?, 426000, '1', 1004417, 'closed', '2026-01-10T09:00:00Z', '2026-01-10T09:30:00Z'),
			(?, 426000, '1', 1004417, 'open', '2026-01-10T10:00:00Z', NULL)`, []any{closed, open}},
		{`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, serial, mail_class, tariff_kop, batch_id, review_state)
			VALUES (?, '2026-01-10T09:10:00Z', 426000, '1', 'front', 'EPM1:A', 'REJECT', '["UNDERPAID"]', 11, 2, 1000, ?, 'overridden'),
			(?, '2026-01-10T10:10:00Z', 426000, '1', 'front', 'EPM1:B', 'REJECT', '["UNDERPAID"]', 12, 2, 1000, ?, 'overridden'),
			(?, '2026-01-10T10:11:00Z', 426000, '1', 'front', 'EPM1:C', 'REJECT', '["UNDERPAID"]', 13, 2, 1000, ?, 'pending')`,
			[]any{inClosed, closed, inOpen, open, pending, open}},
		{`INSERT INTO audit(at, actor, action, record_id, note) VALUES
			('2026-01-10T11:00:00Z', 'petrova', 'override_accept', ?, 'paid later'),
			('2026-01-10T10:12:00.5Z', 'sidorov', 'override_accept', ?, 'paid at the counter')`, []any{inClosed, inOpen}},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	raw.Close()
	ctx := context.Background()
	db, err := OpenWith(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		batch, record, actor string
		at                   time.Time
		inBatch              bool
		accepted, rejected   int
		later                int
	}{
		{closed, inClosed, "petrova", time.Date(2026, 1, 10, 11, 0, 0, 0, time.UTC), false, 0, 1, 1},
		{open, inOpen, "sidorov", time.Date(2026, 1, 10, 10, 12, 0, 5e8, time.UTC), true, 1, 1, 0},
	} {
		ovs, err := db.BatchOverrides(ctx, tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(ovs) != 1 || ovs[0].RecordID != tc.record || ovs[0].Actor != tc.actor || !ovs[0].At.Equal(tc.at) || ovs[0].InBatch != tc.inBatch {
			t.Errorf("batch %s overrides %+v, want %s by %s at %s, in batch %v", tc.batch, ovs, tc.record, tc.actor, tc.at, tc.inBatch)
		}
		tt, err := db.BatchTotals(ctx, tc.batch)
		if err != nil {
			t.Fatal(err)
		}
		if tt.Accepted != tc.accepted || tt.Rejected != tc.rejected || tt.AcceptedLater != tc.later || tt.HandedBack != tc.rejected {
			t.Errorf("batch %s totals %+v, want %d accepted, %d rejected and handed back, %d accepted later", tc.batch, tt, tc.accepted, tc.rejected, tc.later)
		}
	}
}
