package hubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/internal/zones"
	"markd/internal/zones/zonestest"
	"markd/mark"
)

// RunZoneDataSuite holds the collector to judging dates by the zone data
// it is configured with (zone_data), and to naming both sides' data where
// they differ, over real HTTP. Two made-up tz releases disagree on
// Asia/Yekaterinburg: 2031a keeps it on UTC+5, 2031b moves it to UTC+4
// on 2026-11-01. At 2026-11-24 19:30 UTC an office there is on the 25th
// by 2031a, still on the 24th by 2031b: an ACCEPT on its last day (the
// 24th) from an older counter (no offset sent) is disputed EXPIRED by a
// collector on 2031a and not by one on 2031b. A counter on 2031b that
// sends its offset and data is noted data_differ by the collector on
// 2031a, the note naming both releases, and agrees with the one on 2031b.
func RunZoneDataSuite(t *testing.T, open Opener) {
	s, published := openPublished(t, open, 426000, "zd-old-a", "zd-old-b", "zd-new-a", "zd-new-b")
	ctx := context.Background()
	moved := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dataA := zonestest.Data("test", "2031a", map[string][]byte{
		"Asia/Yekaterinburg": zonestest.TZif(zonestest.Span{Off: 5 * 3600, Abbr: "YEKT"})})
	dataB := zonestest.Data("test", "2031b", map[string][]byte{
		"Asia/Yekaterinburg": zonestest.TZif(zonestest.Span{Off: 5 * 3600, Abbr: "YEKT"}, zonestest.Span{From: moved, Off: 4 * 3600, Abbr: "YEKT"})})
	hubNow := t0.Add(24 * time.Hour)
	server := func(data *zones.Data) (string, prometheus.Gatherer) {
		z, err := hub.NewOfficeZonesIn(data, "", []hub.OfficeZoneConfig{{Zone: "Asia/Yekaterinburg", Offices: []string{"426"}}})
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Zones: z, Registry: reg, Now: func() time.Time { return hubNow }}).Handler())
		t.Cleanup(srv.Close)
		return srv.URL, reg
	}
	urlA, _ := server(dataA)
	urlB, _ := server(dataB)
	late := time.Date(2026, 11, 24, 19, 30, 0, 0, time.UTC)
	serial := uint64(900)
	rec := func(term string, offset int, data string) hub.Record {
		serial++
		m := TestMark(serial, 426000)
		m.ValidUntil = mark.DayOf(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
		r := Rec(fmt.Sprintf("%s-%d", term, serial), 426000, "1", mark.Accept, serial)
		f := m.Fields()
		r.Mark, r.Text, r.At, r.Versions = &f, Sign(m), late, published
		if offset != 0 {
			o := int32(offset)
			r.AtOffset, r.AtZone, r.AtZoneData = &o, "Asia/Yekaterinburg", data
		}
		return r
	}

	t.Run("an older counter's dates are judged by the collector's zone data", func(t *testing.T) {
		for _, tc := range []struct {
			url, term, disputed string
		}{{urlA, "zd-old-a", "EXPIRED"}, {urlB, "zd-old-b", ""}} {
			r := rec(tc.term, 0, "")
			h, _ := uploadOK(t, tc.url, tc.term, r)
			if !hub.Takes(h, hub.TakesZoneData) {
				t.Fatalf("answer's %s %q does not name %s", hub.HeaderTakes, h.Get(hub.HeaderTakes), hub.TakesZoneData)
			}
			disputedAs(ctx, t, s, tc.term, r.ID, tc.disputed)
		}
	})
	t.Run("a counter on the other release: data_differ naming both, agrees on the same", func(t *testing.T) {
		for _, tc := range []struct {
			url, term     string
			check         hub.ZoneCheck
			collectorData string
		}{{urlA, "zd-new-a", hub.ZoneDataDiffer, "test 2031a"}, {urlB, "zd-new-b", hub.ZoneAgrees, "test 2031b"}} {
			r := rec(tc.term, 4*3600, "embedded 2031b")
			uploadOK(t, tc.url, tc.term, r)
			disputedAs(ctx, t, s, tc.term, r.ID, "") // by the counter's day where the data differ
			tm, err := s.Terminal(ctx, tc.term)
			if err != nil {
				t.Fatal(err)
			}
			if z := tm.Zone; z.Check != tc.check || z.CounterData != "embedded 2031b" || z.CollectorData != tc.collectorData {
				t.Fatalf("terminal %s: zone note %+v, want %q, counter data embedded 2031b, collector data %s", tc.term, z, tc.check, tc.collectorData)
			}
		}
	})
	t.Run("at_zone_data without at_offset is refused naming it", func(t *testing.T) {
		r := rec("zd-new-a", 0, "")
		r.AtZoneData = "embedded 2031b"
		body, _ := json.Marshal(hub.UploadRequest{Records: []hub.Record{r}})
		code, _, raw := postUpload(t, urlA, "zd-new-a", body)
		if code != http.StatusBadRequest || !strings.Contains(string(raw), `"records[0].at_zone_data"`) {
			t.Fatalf("answer %d %s, want 400 on records[0].at_zone_data", code, raw)
		}
	})
	t.Run("healthz names the collector's zone data", func(t *testing.T) {
		resp, err := http.Get(urlA + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h struct {
			ZoneData zones.Info `json:"zone_data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		if h.ZoneData != (zones.Info{Source: "test", Version: "2031a"}) {
			t.Fatalf("healthz zone_data %+v, want test 2031a", h.ZoneData)
		}
	})
}
