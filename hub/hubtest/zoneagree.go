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
	"markd/mark"
)

// RunZoneAgreementSuite holds the collector to checking the UTC offset a
// counter says it judged a record's dates by (at_offset, at_zone) against
// its office's zone, over real HTTP: offices 426xxx keep their day in
// Asia/Yekaterinburg (UTC+5) here. A counter on UTC+3 is noted "differs"
// on its terminal from a scan at noon, far from midnight; one on UTC+5 is
// noted "agrees"; an older counter that sends no offset is noted nothing
// and judged as before. A counter whose tz is the office's but whose zone
// data give UTC+4 at the scan (a rule change it has not got) is noted
// "data_differ", and a date that holds only by the collector's data is
// neither disputed nor questioned; the same offset from a counter set to
// another zone is the counter's fault, disputed as before.
func RunZoneAgreementSuite(t *testing.T, open Opener) {
	s, published := openPublished(t, open, 426000, "eka-wrong", "eka-right", "eka-old", "eka-data", "eka-samara")
	ctx := context.Background()
	zones, err := hub.NewOfficeZones("", []hub.OfficeZoneConfig{{Zone: "Asia/Yekaterinburg", Offices: []string{"426"}}})
	if err != nil {
		t.Fatal(err)
	}
	hubNow := t0.Add(24 * time.Hour) // 2026-11-25 09:00 UTC
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Zones: zones, Registry: reg, Now: func() time.Time { return hubNow }, HealthMaxAge: -1}).Handler())
	t.Cleanup(srv.Close)
	upload := func(t *testing.T, term string, r hub.Record) string {
		t.Helper()
		header, raw := uploadOK(t, srv.URL, term, r)
		if !hub.Takes(header, hub.TakesAtOffset) {
			t.Fatalf("answer's %s %q does not name %s", hub.HeaderTakes, header.Get(hub.HeaderTakes), hub.TakesAtOffset)
		}
		return string(raw)
	}
	off := func(h int) *int32 { v := int32(h * 3600); return &v }
	day := func(d int) mark.Day { return mark.DayOf(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
	// rec is an ACCEPT (or a REJECT for reasons) of serial by term,
	// scanned at, under the published lists.
	serial := uint64(700)
	rec := func(term string, at time.Time, offset *int32, zone string, edit func(m *mark.Mark), reasons ...mark.Reason) hub.Record {
		serial++
		m := TestMark(serial, 426000)
		if edit != nil {
			edit(&m)
		}
		v := mark.Accept
		if len(reasons) > 0 {
			v = mark.Reject
		}
		r := Rec(fmt.Sprintf("%s-%d", term, serial), 426000, "1", v, serial)
		f := m.Fields()
		r.Mark, r.Text, r.At, r.Versions, r.AtOffset, r.AtZone = &f, Sign(m), at, published, offset, zone
		if v == mark.Reject {
			r.Reasons = reasons
		}
		return r
	}
	noted := func(t *testing.T, term string, want hub.ZoneCheck, offset, expected int) {
		t.Helper()
		tm, err := s.Terminal(ctx, term)
		if err != nil {
			t.Fatal(err)
		}
		z := tm.Zone
		if z.Check != want || (want != hub.ZoneUnchecked && (z.Offset != offset || z.Expected != expected || z.Zone != "Asia/Yekaterinburg")) {
			t.Fatalf("terminal %s: zone note %+v, want %q with offset %d, the office's %d", term, z, want, offset, expected)
		}
	}

	t.Run("a counter on UTC+3 is noted differs from a scan at noon", func(t *testing.T) {
		raw := upload(t, "eka-wrong", rec("eka-wrong", t0.Add(3*time.Hour), off(3), "Europe/Moscow", nil))
		if strings.Contains(raw, "disputed") {
			t.Fatalf("answer %s: no date is near midnight, nothing to dispute", raw)
		}
		noted(t, "eka-wrong", hub.ZoneDiffers, 3*3600, 5*3600)
	})
	t.Run("a counter on UTC+5 is noted agrees", func(t *testing.T) {
		upload(t, "eka-right", rec("eka-right", t0.Add(3*time.Hour), off(5), "Asia/Yekaterinburg", nil))
		noted(t, "eka-right", hub.ZoneAgrees, 5*3600, 5*3600)
	})
	t.Run("a counter on UTC+5 by another name of the zone is noted agrees", func(t *testing.T) {
		upload(t, "eka-right", rec("eka-right", t0.Add(4*time.Hour), off(5), "Etc/GMT-5", nil))
		noted(t, "eka-right", hub.ZoneAgrees, 5*3600, 5*3600)
	})
	t.Run("an older counter without the offset is noted nothing", func(t *testing.T) {
		upload(t, "eka-old", rec("eka-old", t0.Add(3*time.Hour), nil, "", nil))
		noted(t, "eka-old", hub.ZoneUnchecked, 0, 0)
	})

	// 2026-11-24 19:30 UTC: 2026-11-25 00:30 in Yekaterinburg by the
	// collector's data, 23:30 on the 24th at UTC+4.
	late := time.Date(2026, 11, 24, 19, 30, 0, 0, time.UTC)
	lastDay24 := func(m *mark.Mark) { m.ValidUntil = day(24) }
	issued25 := func(m *mark.Mark) { m.Issued = day(25) }
	for _, tc := range []struct {
		name, term string
		offset     *int32
		zone       string
		edit       func(m *mark.Mark)
		reasons    []mark.Reason // a REJECT's; none: an ACCEPT
		disputed   string        // the ACCEPT's dispute
		questioned bool
		check      hub.ZoneCheck
	}{
		{"zone data differ: an ACCEPT on the counter's last day is not disputed", "eka-data", off(4), "Asia/Yekaterinburg",
			lastDay24, nil, "", false, hub.ZoneDataDiffer},
		{"zone data differ: a REJECT before the counter's issue day is not questioned", "eka-data", off(4), "Asia/Yekaterinburg",
			issued25, []mark.Reason{mark.ReasonNotYetValid}, "", false, hub.ZoneDataDiffer},
		{"another zone at UTC+4: the ACCEPT is disputed as before", "eka-samara", off(4), "Europe/Samara",
			lastDay24, nil, "EXPIRED", false, hub.ZoneDiffers},
		{"another zone at UTC+4: the REJECT is questioned as before", "eka-samara", off(4), "Europe/Samara",
			issued25, []mark.Reason{mark.ReasonNotYetValid}, "", true, hub.ZoneDiffers},
		{"an older counter: the ACCEPT is disputed as before", "eka-old", nil, "",
			lastDay24, nil, "EXPIRED", false, hub.ZoneUnchecked},
		{"an older counter: the REJECT is questioned as before", "eka-old", nil, "",
			issued25, []mark.Reason{mark.ReasonNotYetValid}, "", true, hub.ZoneUnchecked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rec(tc.term, late, tc.offset, tc.zone, tc.edit, tc.reasons...)
			upload(t, tc.term, r)
			got := disputedAs(ctx, t, s, tc.term, r.ID, tc.disputed)
			if q := len(got.Questioned) > 0; q != tc.questioned {
				t.Fatalf("questioned %v (%s), want %v", got.Questioned, got.Why, tc.questioned)
			}
			if tc.check != hub.ZoneUnchecked {
				noted(t, tc.term, tc.check, int(*tc.offset), 5*3600)
			}
		})
	}
	t.Run("a record sent again with the offset is a repeat of itself sent without", func(t *testing.T) {
		r := rec("eka-old", t0.Add(5*time.Hour), nil, "", nil)
		upload(t, "eka-old", r)
		r.AtOffset, r.AtZone = off(5), "Asia/Yekaterinburg"
		if raw := upload(t, "eka-old", r); !strings.Contains(raw, `"duplicates":1`) {
			t.Fatalf("answer %s, want the record a duplicate", raw)
		}
	})
	t.Run("healthz and metrics count the terminals that disagree", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h hub.Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		// eka-wrong and eka-samara differ, eka-data's zone data differ
		if h.ZoneDiffers == nil || *h.ZoneDiffers != 2 || h.ZoneDataDiffer == nil || *h.ZoneDataDiffer != 1 {
			t.Fatalf("healthz terminals_zone_differs %v, terminals_zone_data_differ %v; want 2 and 1", h.ZoneDiffers, h.ZoneDataDiffer)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() == "markhub_terminals_zone_disagree" {
				for _, m := range mf.GetMetric() {
					got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		if got["differs"] != 2 || got["data_differ"] != 1 {
			t.Fatalf("markhub_terminals_zone_disagree %v, want differs 2, data_differ 1", got)
		}
	})
}
