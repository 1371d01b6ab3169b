package hub_test

import (
	"errors"
	"strings"
	"testing"
	_ "time/tzdata" // the zones named here on any machine

	"markd/hub"
	"markd/internal/cli"
	"markd/mark"
)

// TestOfficeZonesOf: an office's zone is that of the longest prefix of
// office_zones naming it, else office_zone; unknown (nil) without either.
func TestOfficeZonesOf(t *testing.T) {
	z, err := hub.NewOfficeZones("Europe/Moscow", []hub.OfficeZoneConfig{
		{Zone: "Asia/Yekaterinburg", Offices: []string{"62", "45"}},
		{Zone: "Europe/Samara", Offices: []string{"426", "620001"}}, // one office of region 62 in another zone
	})
	if err != nil {
		t.Fatal(err)
	}
	noDefault, err := hub.NewOfficeZones("", []hub.OfficeZoneConfig{{Zone: "Europe/Samara", Offices: []string{"426"}}})
	if err != nil {
		t.Fatal(err)
	}
	var none *hub.OfficeZones
	for _, tc := range []struct {
		z      *hub.OfficeZones
		office uint32
		want   string // "" = unknown
	}{
		{z, 101000, "Europe/Moscow"},
		{z, 426000, "Europe/Samara"},
		{z, 426999, "Europe/Samara"},
		{z, 427000, "Europe/Moscow"},
		{z, 620000, "Asia/Yekaterinburg"},
		{z, 620001, "Europe/Samara"}, // the longest prefix
		{z, 620002, "Asia/Yekaterinburg"},
		{z, 450077, "Asia/Yekaterinburg"},
		{z, 0, "Europe/Moscow"},
		{noDefault, 426000, "Europe/Samara"},
		{noDefault, 101000, ""},
		{none, 426000, ""},
		{&hub.OfficeZones{}, 426000, ""},
	} {
		got := ""
		if loc := tc.z.Of(tc.office); loc != nil {
			got = loc.String()
		}
		if got != tc.want {
			t.Errorf("office %06d: zone %q, want %q", tc.office, got, tc.want)
		}
	}
}

// TestOfficeZonesRefused: a zone the tz database does not know, Local,
// or a prefix no postal index has is refused naming its key and value.
func TestOfficeZonesRefused(t *testing.T) {
	samara := func(offices ...string) []hub.OfficeZoneConfig {
		return []hub.OfficeZoneConfig{{Zone: "Europe/Samara", Offices: offices}}
	}
	for _, tc := range []struct {
		name, all string
		by        []hub.OfficeZoneConfig
		key, why  string
	}{
		{"unknown zone", "Europe/Moskow", nil, "office_zone", "no such time zone"},
		{"zone in the wrong case", "europe/moscow", nil, "office_zone", "no such time zone"},
		{"the machine's zone", "Local", nil, "office_zone", "not Local"},
		{"unknown zone of an entry", "", []hub.OfficeZoneConfig{{Zone: "Europe/Samra", Offices: []string{"426"}}}, "office_zones[0].zone", "no such time zone"},
		{"entry without zone", "", []hub.OfficeZoneConfig{{Offices: []string{"426"}}}, "office_zones[0].zone", "required"},
		{"entry without offices", "", samara(), "office_zones[0].offices", "required"},
		{"prefix with a leading 0", "", samara("0426"), "office_zones[0].offices", "first 1 to 6 digits"},
		{"prefix too long", "", samara("4260001"), "office_zones[0].offices", "first 1 to 6 digits"},
		{"prefix not digits", "", samara("42a"), "office_zones[0].offices", "first 1 to 6 digits"},
		{"empty prefix", "", samara(""), "office_zones[0].offices", "first 1 to 6 digits"},
		{"prefix in two entries", "", append(samara("426"), hub.OfficeZoneConfig{Zone: "Europe/Moscow", Offices: []string{"101", "426"}}),
			"office_zones[1].offices", "named already in office_zones[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hub.NewOfficeZones(tc.all, tc.by)
			var ke *cli.KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key || !strings.Contains(ke.Why, tc.why) || !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%v, want a key error on %s: %s", err, tc.key, tc.why)
			}
			c := hub.DefaultConfig()
			c.OfficeZone, c.OfficeZones = tc.all, tc.by
			if err := c.Validate(); !errors.As(err, &ke) || ke.Key != tc.key {
				t.Fatalf("Validate: %v, want the key error on %s", err, tc.key)
			}
		})
	}
}
