package hub

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine
)

// TestCheckZone: a record's offset against its office's zone, at the
// scan's instant (a zone with summer time has two offsets a year).
func TestCheckZone(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	eka, berlin := load("Asia/Yekaterinburg"), load("Europe/Berlin")
	winter, summer := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)
	h := func(n int) *int32 { v := int32(n * 3600); return &v }
	for _, tc := range []struct {
		name   string
		loc    *time.Location
		at     time.Time
		offset *int32
		zone   string
		want   ZoneCheck
	}{
		{"no offset sent", eka, winter, nil, "", ZoneUnchecked},
		{"office zone not known", nil, winter, h(3), "Europe/Moscow", ZoneUnchecked},
		{"the office's offset", eka, winter, h(5), "Asia/Yekaterinburg", ZoneAgrees},
		{"the office's offset, no zone named", eka, winter, h(5), "", ZoneAgrees},
		{"UTC+3 for a UTC+5 office", eka, winter, h(3), "Europe/Moscow", ZoneDiffers},
		{"another offset, no zone named", eka, winter, h(4), "", ZoneDiffers},
		{"the office's zone, another offset: data differ", eka, winter, h(4), "Asia/Yekaterinburg", ZoneDataDiffer},
		{"another name of the office's zone, another offset: data differ", eka, winter, h(4), "Etc/GMT-5", ZoneDataDiffer},
		{"a zone name the collector cannot load", eka, winter, h(4), "Asia/Nowhere", ZoneDiffers},
		{"summer time in Berlin", berlin, summer, h(2), "Europe/Berlin", ZoneAgrees},
		{"winter offset in summer, zone named Berlin: data differ", berlin, summer, h(1), "Europe/Berlin", ZoneDataDiffer},
		{"winter offset in summer, zone UTC+1 all year", berlin, summer, h(1), "Africa/Lagos", ZoneDiffers},
		{"winter in Berlin", berlin, winter, h(1), "Africa/Lagos", ZoneAgrees},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Record{At: tc.at, AtOffset: tc.offset, AtZone: tc.zone}
			checkZone(&r, tc.loc)
			if r.Zone != tc.want {
				t.Fatalf("%q, want %q", r.Zone, tc.want)
			}
			judged := judgeZone(&r, tc.loc)
			if tc.loc == nil {
				if judged != nil {
					t.Fatalf("judged in %v, want every zone (nil)", judged)
				}
				return
			}
			_, off := tc.at.In(judged).Zone()
			if want := tc.at.In(tc.loc); tc.want == ZoneDataDiffer {
				if off != int(*tc.offset) {
					t.Fatalf("judged at %d, want the counter's offset", off)
				}
			} else if _, wantOff := want.Zone(); off != wantOff {
				t.Fatalf("judged at %d, want the office zone's %d", off, wantOff)
			}
		})
	}
}

func TestFormatOffset(t *testing.T) {
	for sec, want := range map[int]string{0: "+00:00", 18000: "+05:00", -16200: "-04:30", 9017: "+02:30:17", -3600: "-01:00"} {
		if got := FormatOffset(sec); got != want {
			t.Errorf("%d: %q, want %q", sec, got, want)
		}
	}
}

func TestZoneNoteColumn(t *testing.T) {
	n := ZoneNote{Check: ZoneDiffers, At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Offset: 10800, Expected: 18000,
		Zone: "Asia/Yekaterinburg", CounterZone: "Europe/Moscow", CounterData: "embedded 2025b", CollectorData: "system 2025c"}
	got, err := DecodeZoneNote(ZoneNoteColumn(n))
	if err != nil || got != n {
		t.Fatalf("%+v, %v; want %+v", got, err, n)
	}
	if _, err := DecodeZoneNote(`{"check":"maybe"}`); err == nil {
		t.Fatal("an unknown check read")
	}
	if got, err := DecodeZoneNote(""); err != nil || got != (ZoneNote{}) {
		t.Fatalf("NULL: %+v, %v", got, err)
	}
}

// TestDigestIgnoresZoneData: a record sent again with its offset and zone
// data (a counter's first request goes without) is a repeat of itself.
func TestDigestIgnoresZoneData(t *testing.T) {
	r := digestRecord()
	with := r
	o := int32(3 * 3600)
	with.AtOffset, with.AtZone, with.AtZoneData = &o, "Europe/Moscow", "embedded 2025c"
	if digest(&r) != digest(&with) {
		t.Fatal("the record with at_offset, at_zone and at_zone_data digests otherwise than without")
	}
}
