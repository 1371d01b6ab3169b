package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"markd/mark"
)

// TestRescanWindowFromOverride: MARK-FORMAT §7 makes a rejected mark used
// once a supervisor overrides it to accept, and step 5's re-scan window
// runs from when the mark was accepted there. So the envelope scanned
// again at its counter a minute after the override is DUPLICATE_SCAN, and
// every later or other use is REUSED with the override's time as the first
// acceptance, through Save and through SaveBatch alike.
func TestRescanWindowFromOverride(t *testing.T) {
	ctx := context.Background()
	const window = 10 * time.Minute
	scanned := t0
	overridden := scanned.Add(15 * time.Minute)
	for _, path := range []string{"Save", "SaveBatch"} {
		for _, c := range []struct {
			name    string
			counter string
			at      time.Time
			want    mark.Verdict
		}{
			{"same counter a minute after the override", "A", overridden.Add(time.Minute), mark.DuplicateScan},
			{"same counter after the window", "A", overridden.Add(window + time.Minute), mark.Reject},
			{"another counter a minute after the override", "B", overridden.Add(time.Minute), mark.Reject},
		} {
			t.Run(path+"/"+c.name, func(t *testing.T) {
				now := scanned
				db, _ := openTest(t, Options{Now: func() time.Time { return now }})
				rej := scRec(41, "A", scanned, mark.Reject, mark.ReasonUnderpaid)
				if err := db.Save(ctx, rej, window); err != nil {
					t.Fatal(err)
				}
				now = overridden
				if err := db.OverrideAccept(ctx, rej.ID, "sveta", "paid at the till"); err != nil {
					t.Fatal(err)
				}
				again := scRec(41, c.counter, c.at, mark.Accept)
				if path == "Save" {
					if err := db.Save(ctx, again, window); err != nil {
						t.Fatal(err)
					}
				} else {
					recs := []*mark.Record{again}
					for i := range 16 {
						recs = append(recs, scRec(uint64(100+i), "A", c.at.Add(time.Duration(i+1)*time.Second), mark.Accept))
					}
					if err := db.SaveBatch(ctx, recs, window); err != nil {
						t.Fatal(err)
					}
				}
				first := "none"
				if again.FirstAccepted != nil {
					first = fmt.Sprintf("%s at %s", again.FirstAccepted.At.Format(time.RFC3339), again.FirstAccepted.Counter)
				}
				if again.Verdict != c.want || again.FirstAccepted == nil || !again.FirstAccepted.At.Equal(overridden) ||
					again.FirstAccepted.RecordID != rej.ID {
					t.Fatalf("verdict %s %v, first accepted %s; want %s, first accepted %s at A (the override)",
						again.Verdict, again.Reasons, first, c.want, overridden.Format(time.RFC3339))
				}
				if got, err := db.FirstAcceptance(ctx, 41); err != nil || got == nil || !got.At.Equal(overridden) {
					t.Fatalf("FirstAcceptance: %+v %v; want at %s", got, err, overridden.Format(time.RFC3339))
				}
			})
		}
	}
}

// TestUpgradeOverrideAcceptedAt: an override made by a markd before
// migration 068 counts as accepted from the time of its audit line.
func TestUpgradeOverrideAcceptedAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	raw := oldStore(t, path, 67)
	const id = "01937a10-0000-7000-8000-000000000041"
	for _, q := range []string{
		`INSERT INTO scans(id, at, office, counter, source, raw_text, verdict, reasons, serial, mail_class, tariff_kop, review_state)
			VALUES ('` + id + `', '2026-01-10T09:10:00Z', 426000, 'A', 'front', 'EPM1:A', 'REJECT', '["UNDERPAID"]', 41, 2, 1000, 'overridden')`,
		`INSERT INTO used_serials(serial, record_id) VALUES (41, '` + id + `')`,
		`INSERT INTO audit(at, actor, action, record_id, note) VALUES ('2026-01-10T09:40:00Z', 'sveta', 'override_accept', '` + id + `', 'paid')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db, err := OpenWith(context.Background(), path, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := time.Date(2026, 1, 10, 9, 40, 0, 0, time.UTC)
	if got, err := db.FirstAcceptance(context.Background(), 41); err != nil || got == nil || !got.At.Equal(want) {
		t.Fatalf("FirstAcceptance after the upgrade: %+v %v; want at %s (the audit line's)", got, err, want)
	}
}
