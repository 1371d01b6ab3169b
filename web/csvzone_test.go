package web

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone named here on any machine

	"markd/batch"
	"markd/mark"
)

// TestCSVTimesCarryOffset: on the night Berlin's clocks go back (25.10.2026,
// 02:00–03:00 twice) the CSV exports wrote office times without a zone:
// two rejections an hour apart both at "2026-10-25 02:30:00", and a batch
// could read closed before it was opened. Each time in a CSV now carries
// its UTC offset (as the batch view's opened_local), so a spreadsheet or a
// script reads the instant.
func TestCSVTimesCarryOffset(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) {
		o.Location = berlin
		o.Batches = batch.New(batch.Options{Store: o.Store, Office: 426000, Counter: "A", Location: berlin})
	})
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	second := first.Add(time.Hour)                          // 02:30 CET
	for id, at := range map[string]time.Time{"b1": first, "b2": second} {
		e.insert(mark.Record{ID: id, At: at, Office: 426000, Counter: "A", Operator: opName,
			Text: "EPM1:" + id, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonExpired}, Mark: testMark(uint64(len(id)) + uint64(at.Hour()))})
	}
	ctx := context.Background()
	b, err := e.db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "C", Operator: "Иванова"})
	if err != nil {
		t.Fatal(err)
	}
	sup := e.client()
	sup.login(supName, supPass)
	read := func(path string) [][]string {
		t.Helper()
		code, body := sup.get(path)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	times := map[string]string{}
	for _, r := range read("/review/export.csv?from=2026-10-25&to=2026-10-25")[1:] {
		times[r[0]] = r[1]
	}
	if times["b1"] != "2026-10-25 02:30:00 +02:00" || times["b2"] != "2026-10-25 02:30:00 +01:00" {
		t.Errorf("review CSV times %v, want 02:30:00 +02:00 and 02:30:00 +01:00", times)
	}
	rows := read("/review/batches/export.csv")
	if want := b.Opened.In(berlin).Format("2006-01-02 15:04:05 -07:00"); len(rows) != 2 || rows[1][1] != want {
		t.Errorf("batch CSV %v, want opened %s", rows, want)
	}
}
