package sync

import (
	"context"
	"net/http"
	"strings"
	gosync "sync/atomic"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/zones/zonestest"
	"markd/mark"
)

// takesWithout answers as a collector that takes at_offset but not
// at_zone_data: the name dropped from X-Markhub-Takes.
type takesWithout struct{ http.ResponseWriter }

func (w takesWithout) drop() {
	parts := strings.Split(w.Header().Get(hub.HeaderTakes), ",")
	kept := parts[:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != hub.TakesZoneData {
			kept = append(kept, strings.TrimSpace(p))
		}
	}
	w.Header().Set(hub.HeaderTakes, strings.Join(kept, ", "))
}

func (w takesWithout) WriteHeader(code int) { w.drop(); w.ResponseWriter.WriteHeader(code) }
func (w takesWithout) Write(b []byte) (int, error) {
	w.drop()
	return w.ResponseWriter.Write(b)
}

// beforeZoneData is a markhub that takes at_offset but not at_zone_data.
var beforeZoneData = olderMarkhub{field: "at_zone_data", takes: hub.TakesReceiptCounts + ", " + hub.TakesAtOffset,
	wrap: func(w http.ResponseWriter) http.ResponseWriter { return takesWithout{w} }}

// TestUploadZoneData: once an answer named it, a counter sends with each
// record's offset the zone data it came from (at_zone_data), and the
// collector's note names it beside its own: here the counter's data
// (2031b) moved Asia/Yekaterinburg to UTC+4, the collector's (embedded)
// keep UTC+5, so the note is data_differ naming both. A collector that
// takes at_offset only (an older one, or one rolled back after taking
// it) gets the offset without the data: taken, none set aside.
func TestUploadZoneData(t *testing.T) {
	ctx := context.Background()
	moved := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	counterData := zonestest.Data("embedded", "2031b", map[string][]byte{
		"Asia/Yekaterinburg": zonestest.TZif(zonestest.Span{Off: 5 * 3600, Abbr: "YEKT"}, zonestest.Span{From: moved, Off: 4 * 3600, Abbr: "YEKT"})})
	eka, err := counterData.Load("Asia/Yekaterinburg")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		zoneData    string // UploaderOptions.ZoneData
		older       bool   // the collector takes at_offset only from the start
		rollBack    bool   // rolled back to that after its first answer
		sentData    bool
		counterNote string
	}{
		{"a collector that takes it", counterData.String(), false, false, true, "embedded 2031b"},
		{"a counter that does not name its data", "", false, false, false, ""},
		{"a collector that takes the offset only", counterData.String(), true, false, false, ""},
		{"a collector rolled back", counterData.String(), false, true, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var older gosync.Bool
			var sent gosync.Int32
			older.Store(tc.older)
			st, officeZones, url := zonedCollector(t, beforeZoneData, &older, &sent)
			db := openCounter(t)
			u := NewUploader(db, newClient(t, url, "office-a"), UploaderOptions{BatchSize: 10, Location: eka, ZoneData: tc.zoneData}, quiet, nil)
			office := hubtest.Offices["office-a"]
			noon := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
			addScan(t, db, "1", office, mark.Accept, 801, noon)
			if _, _, err := u.Once(ctx, true); err != nil { // the first request of the run: neither offset nor data
				t.Fatal(err)
			}
			if n := sent.Load(); n != 0 {
				t.Fatalf("%d first requests with at_zone_data, before any answer named it", n)
			}
			older.Store(tc.older || tc.rollBack)
			addScan(t, db, "1", office, mark.Accept, 802, noon.Add(time.Minute))
			for range 3 {
				if _, _, err := u.Once(ctx, true); err != nil {
					t.Fatal(err)
				}
			}
			if p := pending(t, db); p != 0 {
				t.Fatalf("%d records still pending", p)
			}
			if p := u.Progress(); p.SetAside != 0 {
				t.Fatalf("%d records set aside", p.SetAside)
			}
			if got := stats(t, st).Records; got != 2 {
				t.Fatalf("%d records at the collector, want 2", got)
			}
			if got := sent.Load() > 0; got != tc.sentData {
				t.Fatalf("at_zone_data sent: %v, want %v", got, tc.sentData)
			}
			tm, err := st.Terminal(ctx, "office-a")
			if err != nil {
				t.Fatal(err)
			}
			z := tm.Zone
			if z.Check != hub.ZoneDataDiffer || z.Offset != 4*3600 || z.CounterData != tc.counterNote ||
				z.CollectorData != "embedded "+officeZones.Data().Version() {
				t.Fatalf("zone note %+v, want data_differ at UTC+4, counter data %q, the collector's embedded", z, tc.counterNote)
			}
		})
	}
}
