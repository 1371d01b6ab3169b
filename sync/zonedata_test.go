package sync

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/internal/zones/zonestest"
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
			zc := zonedCollector(t, beforeZoneData, tc.older)
			if got := zc.uploadAcross(t, UploaderOptions{BatchSize: 10, Location: eka, ZoneData: tc.zoneData}, tc.older || tc.rollBack); got != tc.sentData {
				t.Fatalf("at_zone_data sent: %v, want %v", got, tc.sentData)
			}
			tm, err := zc.store.Terminal(ctx, "office-a")
			if err != nil {
				t.Fatal(err)
			}
			z := tm.Zone
			if z.Check != hub.ZoneDataDiffer || z.Offset != 4*3600 || z.CounterData != tc.counterNote ||
				z.CollectorData != "embedded "+zc.zones.Data().Version() {
				t.Fatalf("zone note %+v, want data_differ at UTC+4, counter data %q, the collector's embedded", z, tc.counterNote)
			}
		})
	}
}
