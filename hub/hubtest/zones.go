package hubtest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// RunDisputeZoneSuite holds the collector to judging the dates of an
// ACCEPT in its office's time zone where office_zone and office_zones
// name it (hub.OfficeZones), over real HTTP: office-a (426000) in
// Europe/Samara (UTC+4) by its prefix, office-b (101000) in the default
// Europe/Moscow (UTC+3). Each disputed case here is one the every-zone
// rule let pass (it holds somewhere between UTC−12 and UTC+14), and each
// held one is a second before or after it.
func RunDisputeZoneSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	Publish(t, s)
	zones, err := hub.NewOfficeZones("Europe/Moscow", []hub.OfficeZoneConfig{{Zone: "Europe/Samara", Offices: []string{"426"}}})
	if err != nil {
		t.Fatal(err)
	}
	hubNow := t0.Add(24 * time.Hour) // 2026-11-25 09:00 UTC
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Now: func() time.Time { return hubNow }, Zones: zones}).Handler())
	t.Cleanup(srv.Close)
	day := func(d int) mark.Day { return mark.DayOf(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
	utc := func(d, h, m, sec int) time.Time { return time.Date(2026, 11, d, h, m, sec, 0, time.UTC) }
	tests := []struct {
		name, term string
		serial     uint64
		issued     mark.Day // 0: TestMark's
		until      mark.Day // 0: TestMark's
		at         time.Time
		want       string // reason, "" = held
		zone       string // named in why
	}{
		{"the last day at 23:59:59 in Samara", "office-a", 600, 0, day(24), utc(24, 19, 59, 59), "", ""},
		{"the day after the last from 00:00 in Samara", "office-a", 601, 0, day(24), utc(24, 20, 0, 0), "EXPIRED", "Europe/Samara"},
		{"the day before the issue day at 23:59:59 in Samara", "office-a", 602, day(25), 0, utc(24, 19, 59, 59), "NOT_YET_VALID", "Europe/Samara"},
		{"the issue day from 00:00 in Samara", "office-a", 603, day(25), 0, utc(24, 20, 0, 0), "", ""},
		{"the last day at 23:59:59 in Moscow, the default zone", "office-b", 604, 0, day(24), utc(24, 20, 59, 59), "", ""},
		{"the day after the last from 00:00 in Moscow", "office-b", 605, 0, day(24), utc(24, 21, 0, 0), "EXPIRED", "Europe/Moscow"},
		{"the day before the issue day at 23:59:59 in Moscow", "office-b", 606, day(25), 0, utc(24, 20, 59, 59), "NOT_YET_VALID", "Europe/Moscow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			office := Offices[tc.term]
			m := TestMark(tc.serial, office)
			if tc.issued != 0 {
				m.Issued = tc.issued
			}
			if tc.until != 0 {
				m.ValidUntil = tc.until
			}
			r := Rec(fmt.Sprintf("z-%d", tc.serial), office, "1", mark.Accept, tc.serial)
			f := m.Fields()
			r.Mark, r.Text, r.At = &f, Sign(m), tc.at
			_, raw := uploadOK(t, srv.URL, tc.term, r)
			got := disputedAs(ctx, t, s, tc.term, r.ID, tc.want)
			if tc.want == "" {
				if strings.Contains(string(raw), "disputed") {
					t.Fatalf("a held acceptance: answer %s", raw)
				}
				return
			}
			if !strings.Contains(string(raw), `"disputed":1`) || !strings.HasPrefix(got.Why, tc.want+":") ||
				!strings.Contains(got.Why, "time zone "+tc.zone) || strings.Contains(got.Why, "every time zone") {
				t.Fatalf("answer %s, why %q: want %s in %s", raw, got.Why, tc.want, tc.zone)
			}
		})
	}
}
