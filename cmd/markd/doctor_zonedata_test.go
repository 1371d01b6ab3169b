package main

import (
	"bytes"
	"context"
	"os"
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
			if err := os.WriteFile(cfg, []byte("db: "+dbPath+"\n"+tt.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"doctor", "--config", cfg}, strings.NewReader(""), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errOut.String())
			}
			if got := out.String() + errOut.String(); !strings.Contains(got, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
