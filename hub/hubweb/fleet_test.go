package hubweb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// BenchmarkFleetRender renders the fleet rows of 2500 terminals (a large
// region; a page now shows 200) without the store.
func BenchmarkFleetRender(b *testing.B) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]hub.FleetRow, 2500)
	for i := range rows {
		rows[i] = hub.FleetRow{Terminal: hub.Terminal{Name: fmt.Sprintf("t%05d", i), Office: uint32(100000 + i), SeenAt: now.Add(-time.Duration(i) * time.Minute),
			ClockSkew: time.Duration(i%300) * time.Second, Waiting: int64(i % 40), WaitingAt: now}, LastRecord: now.Add(-time.Hour),
			Versions: mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "rv7"}}
	}
	b.ResetTimer()
	for b.Loop() {
		_ = s.fleetRowsHTML(rows, now, nil)
	}
}

// TestFleetRowsEscaped: the fleet rows are written without the template,
// so every value a counter sends (list versions are its text) must come
// out escaped.
func TestFleetRowsEscaped(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	got := string(s.fleetRowsHTML([]hub.FleetRow{{Terminal: hub.Terminal{Name: "a&b", Office: 426000, SeenAt: now},
		Versions: mark.Versions{Keyring: `<script>x</script>`, Tariffs: `"t"`, Revocations: "r'"}}}, now, counts))
	for _, bad := range []string{"<script>", `"t"`, "a&b"} {
		if strings.Contains(got, bad) {
			t.Errorf("row holds %q unescaped:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "&lt;script&gt;") || counts["ok"] != 1 || !strings.Contains(got, `data-waiting="unknown"`) {
		t.Errorf("row %s, counts %v", got, counts)
	}
}

// TestFleetZoneCell: the fleet's time zone cell says what the terminal's
// newest record with the offset it judged dates by says: nothing noted,
// the office's zone, another zone (both offsets, the counter's tz
// escaped), or the zone data differing.
func TestFleetZoneCell(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	eka := func(c hub.ZoneCheck, off int, counter string) hub.ZoneNote {
		return hub.ZoneNote{Check: c, At: now, Offset: off, Expected: 5 * 3600, Zone: "Asia/Yekaterinburg", CounterZone: counter}
	}
	for _, tc := range []struct {
		name string
		z    hub.ZoneNote
		want []string
	}{
		{"nothing noted", hub.ZoneNote{}, []string{`data-zone="">—</td>`}},
		{"agrees", eka(hub.ZoneAgrees, 5*3600, "Asia/Yekaterinburg"), []string{`data-zone="agrees"`, "UTC+05:00</span> (Asia/Yekaterinburg)", "the office's"}},
		{"differs", eka(hub.ZoneDiffers, 3*3600, "Europe/<b>Moscow"), []string{`data-zone="differs"`, "judges in a different zone",
			"UTC+03:00</span> (Europe/&lt;b&gt;Moscow)", "UTC+05:00</span> (Asia/Yekaterinburg)"}},
		{"differs, no tz named", eka(hub.ZoneDiffers, -16200, ""), []string{"UTC-04:30</span>; "}},
		{"data differ", eka(hub.ZoneDataDiffer, 4*3600, "Asia/Yekaterinburg"), []string{`data-zone="data_differ"`, "zone data differ",
			"UTC+04:00", "UTC+05:00</span> (Asia/Yekaterinburg)"}},
		{"data differ, both releases named", func() hub.ZoneNote {
			z := eka(hub.ZoneDataDiffer, 4*3600, "Asia/Yekaterinburg")
			z.CounterData, z.CollectorData = "system <b>2031b", "embedded 2031a"
			return z
		}(), []string{"UTC+04:00</span> <span class=\"nowrap\">[tz system &lt;b&gt;2031b]</span>;",
			"(Asia/Yekaterinburg) <span class=\"nowrap\">[tz embedded 2031a]</span>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(s.fleetRowsHTML([]hub.FleetRow{{Terminal: hub.Terminal{Name: "t", Office: 426000, SeenAt: now, Zone: tc.z}}}, now, nil))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("row lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "<b>") {
				t.Errorf("the counter's tz unescaped:\n%s", got)
			}
		})
	}
}

// TestDayRange: the office by day form's office and inclusive day range,
// each bad value named.
func TestDayRange(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct {
		query, err string
		office     uint32
		from, to   string
	}{
		{"", "", 0, "2026-11-19", "2026-11-25"},
		{"office=426000", "", 426000, "2026-11-19", "2026-11-25"},
		{"office=0426000&from=2026-01-01&to=2026-12-31", "", 426000, "2026-01-01", "2026-12-31"}, // decimal, not octal
		{"office=042600", `office "042600"`, 0, "", ""},                                          // 5 digits: no postal index
		{"office=426000&from=2026-11-25&to=2026-11-25", "", 426000, "2026-11-25", "2026-11-25"},
		{"office=4260001", `office "4260001"`, 0, "", ""},
		{"office=abc", `office "abc"`, 0, "", ""},
		{"office=426000&from=25.11.2026", `from "25.11.2026"`, 0, "", ""},
		{"office=426000&to=2026-13-01", `to "2026-13-01"`, 0, "", ""},
		{"office=426000&from=2026-11-26&to=2026-11-25", "the end must be after the start", 0, "", ""},
		{"office=426000&from=2025-01-01&to=2026-11-25", "at most 366 days", 0, "", ""},
	} {
		d, err := s.readDayRange(httptest.NewRequest("GET", "/offices?"+tt.query, nil))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, mark.ErrInvalid) {
				t.Errorf("%s: %v, want an invalid error naming %s", tt.query, err, tt.err)
			}
			continue
		}
		if err != nil || d.Office != tt.office || !d.From.Equal(day(tt.from)) || !d.To.Equal(day(tt.to)) {
			t.Errorf("%s: %+v %v", tt.query, d, err)
		}
	}
}
