package main

import (
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/zones"
)

// TestDoctorZoneData: doctor names the zone data tz comes from and its tz
// release: the embedded one by default, the machine's with zone_data:
// system; an unknown zone_data is refused naming the key.
func TestDoctorZoneData(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "markd.db")
	initStore(t, dbPath)
	for _, tt := range []struct {
		name, conf string
		code       int
		want       string
	}{
		{"default", "", 0, "Zone data: embedded, tz release " + zones.Default().Version() + " (inside markd"},
		{"embedded", "zone_data: embedded\ntz: Asia/Yekaterinburg\n", 0,
			"Zone data: embedded, tz release " + zones.Default().Version() + " (inside markd, the same on every counter of this release); tz Asia/Yekaterinburg"},
		{"unknown", "zone_data: tzdata\n", 2, "zone_data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "markd.yaml")
			code, out, errOut := runDoctor(t, cfg, "db: "+dbPath+"\n"+tt.conf)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if got := out + errOut; !strings.Contains(got, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
