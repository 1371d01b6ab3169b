package hub

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/cli"
	"markd/internal/zones/zonestest"
)

// TestConfigZoneData: markhub's zones come from the zone data zone_data
// names (a ZONEINFO folder here, whose Europe/Moscow keeps UTC+4): an
// unknown zone_data, and an office zone the system's data lack, are
// refused naming the key.
func TestConfigZoneData(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "Europe"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Europe", "Moscow"), zonestest.TZif(zonestest.Span{Off: 4 * 3600, Abbr: "MSD"}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZONEINFO", dir)
	june := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		zoneData, zone string
		off            int    // Europe/Moscow's offset in june
		key, why       string // the refusal
	}{
		{"embedded", "Europe/Moscow", 3 * 3600, "", ""},
		{"system", "Europe/Moscow", 4 * 3600, "", ""},
		{"tzdata", "Europe/Moscow", 0, "zone_data", "embedded"},
		{"system", "Asia/Yekaterinburg", 0, "office_zone", "no such time zone in the system unknown zone data"},
	} {
		c := DefaultConfig()
		c.ZoneData, c.OfficeZone = tt.zoneData, tt.zone
		err := c.Validate()
		if tt.key != "" {
			var ke *cli.KeyError
			if !errors.As(err, &ke) || ke.Key != tt.key || !strings.Contains(ke.Why, tt.why) {
				t.Errorf("zone_data %s, office_zone %s: %v, want a refusal of %s saying %q", tt.zoneData, tt.zone, err, tt.key, tt.why)
			}
			continue
		}
		if err != nil {
			t.Fatalf("zone_data %s: %v", tt.zoneData, err)
		}
		z, _ := c.Zones()
		if _, off := june.In(z.Of(426000)).Zone(); off != tt.off || z.Data().Source() != tt.zoneData {
			t.Errorf("zone_data %s: Europe/Moscow at %s is %d by %s, want %d", tt.zoneData, june, off, z.Data(), tt.off)
		}
	}
}
