package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"markd/internal/zones"
	"markd/internal/zones/zonestest"
)

// TestZoneData: tz is loaded from the zone data zone_data names: the
// embedded data by default whatever the machine has, the machine's
// (here a ZONEINFO folder whose Europe/Moscow moved to UTC+4 in March
// 2027) with system; anything else is refused naming the key.
func TestZoneData(t *testing.T) {
	dir := t.TempDir()
	change := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	moved := zonestest.TZif(zonestest.Span{Off: 3 * 3600, Abbr: "MSK"}, zonestest.Span{From: change, Off: 4 * 3600, Abbr: "MSD"})
	if err := os.MkdirAll(filepath.Join(dir, "Europe"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Europe", "Moscow"), moved, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "+VERSION"), []byte("2031a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZONEINFO", dir)
	june := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		zoneData string
		off      int
		data     string
	}{
		{"", 3 * 3600, "embedded " + zones.Default().Version()},
		{"embedded", 3 * 3600, "embedded " + zones.Default().Version()},
		{"system", 4 * 3600, "system 2031a"},
	} {
		c := Default()
		c.Office, c.ZoneData = 426000, tt.zoneData
		if err := c.Validate(); err != nil {
			t.Fatalf("zone_data %q: %v", tt.zoneData, err)
		}
		loc, err := c.Location()
		if err != nil {
			t.Fatalf("zone_data %q: %v", tt.zoneData, err)
		}
		if _, off := june.In(loc).Zone(); off != tt.off {
			t.Errorf("zone_data %q: Europe/Moscow at %s is %d, want %d", tt.zoneData, june, off, tt.off)
		}
		if data, _ := c.ZoneSet(); data.String() != tt.data {
			t.Errorf("zone_data %q: data %q, want %q", tt.zoneData, data, tt.data)
		}
	}
	for _, bad := range []struct{ zoneData, tz, key string }{
		{"tzdata", "Europe/Moscow", "zone_data"},
		{"system", "Asia/Yekaterinburg", "tz"}, // not in that folder
		{"embedded", "Europe/Nowhere", "tz"},
	} {
		c := Default()
		c.Office, c.ZoneData, c.TZ = 426000, bad.zoneData, bad.tz
		var ke *KeyError
		if err := c.Validate(); !errors.As(err, &ke) || ke.Key != bad.key {
			t.Errorf("zone_data %q, tz %q: Validate = %v, want a KeyError on %s", bad.zoneData, bad.tz, err, bad.key)
		}
	}
}
