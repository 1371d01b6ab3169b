package hub_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine

	"markd/hub"
	"markd/internal/cli"
	"markd/mark"
)

// FuzzParseQueryStates feeds one query or form value to every state and
// range parser of the collector's pages: each refuses with mark.ErrInvalid
// or returns a value that reads back as the text it was given.
func FuzzParseQueryStates(f *testing.F) {
	for _, s := range []string{"", "open", "acknowledged", "resolved", "reviewed", "silent", "stale", "hard", "never",
		"agrees", "differs", "data_differ", "62", "426000", "0", "000000", "9999999", "+1", "-1", "1 ", "ОТКРЫТ", "open\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(what string, got string, err error) {
			t.Helper()
			if err != nil && !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%s(%q): error %v is not mark.ErrInvalid", what, s, err)
			}
			if err == nil && got != s {
				t.Fatalf("%s(%q) = %q, not the text given", what, s, got)
			}
		}
		a, err := hub.ParseAlertState(s)
		check("ParseAlertState", string(a), err)
		d, err := hub.ParseDisputeState(s)
		check("ParseDisputeState", string(d), err)
		fs, err := hub.ParseFleetState(s)
		check("ParseFleetState", string(fs), err)
		z, err := hub.ParseZoneCheck(s)
		check("ParseZoneCheck", z.String(), err)
		r, err := hub.ParseOfficePrefix(s)
		if err != nil {
			check("ParseOfficePrefix", "", err)
			return
		}
		if s == "" {
			if r != hub.AllOffices {
				t.Fatalf("ParseOfficePrefix(\"\") = %+v, want every office", r)
			}
			return
		}
		lo, hi := fmt.Sprintf("%06d", r.Lo), fmt.Sprintf("%06d", r.Hi)
		if r.Prefix != s || r.Lo > r.Hi || r.Hi > 999999 || !strings.HasPrefix(lo, s) || !strings.HasPrefix(hi, s) {
			t.Fatalf("ParseOfficePrefix(%q) = %+v: not the offices %s…", s, r, s)
		}
	})
}

// FuzzOfficeZones feeds office_zone and one office_zones entry (its
// offices comma-separated) to NewOfficeZones, the zone table's reader:
// it refuses with a *cli.KeyError (mark.ErrInvalid), or every office of
// every prefix it took is in the entry's zone.
func FuzzOfficeZones(f *testing.F) {
	f.Add("Europe/Moscow", "Asia/Yekaterinburg", "62,45")
	f.Add("", "Europe/Samara", "426,620001")
	f.Add("Local", "UTC", "0")
	f.Add("Europe/Moscow", "", "62")
	f.Add("", "Asia/Yekaterinburg", "")
	f.Add("", "Asia/Yekaterinburg", "62,62")
	f.Add(" Europe/Moscow", "Europe/Moscow", "1234567,+1,-1,06")
	f.Add("../../etc/passwd", "europe/moscow", "9")
	f.Fuzz(func(t *testing.T, all, zone, offices string) {
		var list []string
		if offices != "" {
			list = strings.Split(offices, ",")
		}
		z, err := hub.NewOfficeZones(all, []hub.OfficeZoneConfig{{Zone: zone, Offices: list}})
		if err != nil {
			var ke *cli.KeyError
			if !errors.As(err, &ke) || !errors.Is(err, mark.ErrInvalid) || !strings.HasPrefix(ke.Key, "office_zone") {
				t.Fatalf("NewOfficeZones(%q, %q: %q): error %v (%T), want a *cli.KeyError of office_zone(s)", all, zone, list, err, err)
			}
			return
		}
		want, lerr := time.LoadLocation(zone)
		if lerr != nil {
			t.Fatalf("zone %q taken, but it does not load: %v", zone, lerr)
		}
		for _, p := range list {
			n, err := strconv.ParseUint(p, 10, 32)
			if err != nil || len(p) > 6 || p[0] == '0' {
				t.Fatalf("prefix %q taken: not 1 to 6 digits", p)
			}
			for len(p) < 6 {
				p += "0"
			}
			office, _ := strconv.ParseUint(p, 10, 32)
			if got := z.Of(uint32(office)); got == nil || got.String() != want.String() {
				t.Fatalf("office %d of prefix %d: zone %v, want %v", office, n, got, want)
			}
		}
	})
}

// FuzzDecodeStoredColumns feeds a stored JSON column to each decoder the
// backends read records with: it refuses with mark.ErrInvalid naming the
// column, or fills the record without a panic.
func FuzzDecodeStoredColumns(f *testing.F) {
	for _, s := range []string{`["USED"]`, `[]`, `null`, `{"version":1,"alg":1,"key_id":3,"serial":7}`,
		`{"at":"2026-03-01T10:00:00Z","terminal":"t1","record_id":"r1"}`,
		`{"check":"differs","at":"2026-03-01T10:00:00Z","offset":10800,"expected":18000,"zone":"Asia/Yekaterinburg"}`,
		`{"check":"nope"}`, `{`, `[1,2]`, `"x"`, `{"reason":"x","by":"y","at":"2026-03-01T10:00:00Z"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, col string) {
		check := func(what string, err error, names string) {
			t.Helper()
			if err != nil && (!errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), names)) {
				t.Fatalf("%s(%q): error %v is not mark.ErrInvalid naming %s", what, col, err, names)
			}
		}
		r := &hub.Record{ID: "r1"}
		check("DecodeJSONColumns reasons", hub.DecodeJSONColumns(r, col, "", ""), "reasons")
		check("DecodeJSONColumns mark_fields", hub.DecodeJSONColumns(&hub.Record{ID: "r1"}, "[]", col, ""), "mark_fields")
		check("DecodeJSONColumns first_accepted", hub.DecodeJSONColumns(&hub.Record{ID: "r1"}, "[]", "", col), "first_accepted")
		check("DecodeDisputed", hub.DecodeDisputed(&hub.Record{ID: "r1"}, col), "disputed")
		check("DecodeQuestioned", hub.DecodeQuestioned(&hub.Record{ID: "r1"}, col), "questioned")
		_, err := hub.DecodeZoneNote(col)
		check("DecodeZoneNote", err, "zone_note")
	})
}

// FuzzLookupValue: the regional lookup's query (by, q) is a known kind
// and a positive number, or mark.ErrInvalid naming what was given.
func FuzzLookupValue(f *testing.F) {
	for _, s := range [][2]string{{"serial", "42"}, {"tracking", " 42600000000016 "}, {"contract", "0"}, {"contract", "-5"},
		{"serial", "9223372036854775808"}, {"serial", "+7"}, {"name", "7"}, {"", ""}, {"serial", "４２"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, kind, value string) {
		n, err := hub.LookupValue(hub.LookupKind(kind), value)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("LookupValue(%q, %q): %v is not mark.ErrInvalid", kind, value, err)
			}
			return
		}
		if n <= 0 || (kind != "serial" && kind != "tracking" && kind != "contract") {
			t.Fatalf("LookupValue(%q, %q) = %d", kind, value, n)
		}
		if got, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64); got != n {
			t.Fatalf("LookupValue(%q, %q) = %d, not the number given", kind, value, n)
		}
	})
}
