package zones_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	. "markd/internal/zones"
	"markd/internal/zones/zonestest"
)

var (
	june    = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC) // fixed dates: no test depends on today
	change  = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	plus3   = zonestest.TZif(zonestest.Span{Off: 3 * 3600, Abbr: "MSK"})
	changed = zonestest.TZif(zonestest.Span{Off: 3 * 3600, Abbr: "MSK"}, zonestest.Span{From: change, Off: 4 * 3600, Abbr: "MSD"})
)

func offsetAt(t *testing.T, d *Data, name string, at time.Time) int {
	t.Helper()
	loc, err := d.Load(name)
	if err != nil {
		t.Fatalf("%s: Load(%q): %v", d, name, err)
	}
	_, off := at.In(loc).Zone()
	return off
}

// TestEmbedded: the embedded data load every zone a fleet names, once
// each, and say their release.
func TestEmbedded(t *testing.T) {
	d := Default()
	if d.Source() != Embedded || !regexp.MustCompile(`^[0-9]{4}[a-z]$`).MatchString(d.Version()) {
		t.Fatalf("Default() = %q: want embedded and a tz release such as 2025c", d)
	}
	for _, tt := range []struct {
		zone string
		off  int
	}{{"Europe/Moscow", 3 * 3600}, {"Asia/Yekaterinburg", 5 * 3600}, {"Europe/Samara", 4 * 3600}, {"Asia/Kamchatka", 12 * 3600},
		{"Europe/Berlin", 2 * 3600}, {"UTC", 0}, {"", 0}} {
		if got := offsetAt(t, d, tt.zone, june); got != tt.off {
			t.Errorf("%s at %s: offset %d, want %d", tt.zone, june, got, tt.off)
		}
	}
	a, _ := d.Load("Europe/Moscow")
	b, _ := d.Load("Europe/Moscow")
	if a != b {
		t.Error("Europe/Moscow loaded twice gave two Locations: want the cached one")
	}
}

// TestRecordedVersion: zoneinfo.version records the release and SHA-256
// of the zip beside it (scripts/update-zonedata.sh), so a zip copied in
// without the script fails here.
func TestRecordedVersion(t *testing.T) {
	v, sum, err := RecordedVersion()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(EmbeddedZip)
	if got := hex.EncodeToString(h[:]); got != sum {
		t.Fatalf("internal/zones/zoneinfo.zip has SHA-256 %s, zoneinfo.version records %s (tz %s): run scripts/update-zonedata.sh", got, sum, v)
	}
	if Default().Version() != v {
		t.Fatalf("Default().Version() = %q, recorded %q", Default().Version(), v)
	}
}

// TestUnknownZones: a name the data lack, or one that would leave the
// data's folder, is ErrUnknownZone naming the zone and the data set.
func TestUnknownZones(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), plus3, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "zoneinfo"), 0o700); err != nil {
		t.Fatal(err)
	}
	sys := SystemFrom(filepath.Join(dir, "zoneinfo"), nil)
	for _, d := range []*Data{Default(), sys} {
		for _, name := range []string{"Europe/Nowhere", "europe/moscow", "../secret", "/etc/passwd", `\x`, "a/../../secret", "a\x00b"} {
			_, err := d.Load(name)
			if !errors.Is(err, ErrUnknownZone) {
				t.Errorf("%s: Load(%q) = %v, want ErrUnknownZone", d, name, err)
			}
		}
	}
	_, err := Default().Load("Europe/Nowhere")
	if want := `time zone "Europe/Nowhere": no such time zone in the embedded zone data (tz ` + Default().Version(); err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %v: want it to start %q", err, want)
	}
}

// TestNamed: zone_data takes embedded (the default) and system only.
func TestNamed(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		err      error
	}{{"", Embedded, nil}, {"embedded", Embedded, nil}, {"system", System, nil}, {"System", "", ErrBadSource}, {"tzdata", "", ErrBadSource}} {
		d, err := Named(tt.in)
		if !errors.Is(err, tt.err) || (err == nil && d.Source() != tt.want) {
			t.Errorf("Named(%q) = %v, %v; want %s, %v", tt.in, d, err, tt.want, tt.err)
		}
	}
}

// TestSystemFrom: the system data are ZONEINFO's folder or zip, else the
// first zoneinfo folder that exists, their release read from tzdata.zi
// or +VERSION; none is ErrNoData on every zone. The rules are theirs,
// not the embedded data's.
func TestSystemFrom(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("zi/Europe/Moscow", changed)
	write("zi/tzdata.zi", []byte("# version 2031a\n# tzdb data for ...\n"))
	write("plus/Europe/Moscow", changed)
	write("plus/+VERSION", []byte("2031b\n"))
	write("bare/Europe/Moscow", changed)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("Europe/Moscow")
	w.Write(changed)
	zw.Close()
	write("zone.zip", zb.Bytes())
	missing := filepath.Join(dir, "missing")

	for _, tt := range []struct {
		name     string
		zoneinfo string
		dirs     []string
		version  string
		noData   bool
	}{
		{"ZONEINFO folder with tzdata.zi", filepath.Join(dir, "zi"), nil, "2031a", false},
		{"ZONEINFO folder with +VERSION", filepath.Join(dir, "plus"), nil, "2031b", false},
		{"ZONEINFO zip", filepath.Join(dir, "zone.zip"), nil, "unknown", false},
		{"ZONEINFO missing", missing, []string{filepath.Join(dir, "zi")}, "unknown", true},
		{"first folder that exists", "", []string{missing, filepath.Join(dir, "bare"), filepath.Join(dir, "zi")}, "unknown", false},
		{"no folder", "", []string{missing}, "unknown", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := SystemFrom(tt.zoneinfo, tt.dirs)
			if d.Source() != System || d.Version() != tt.version {
				t.Fatalf("data %q: want system %s", d, tt.version)
			}
			if tt.noData {
				if _, err := d.Load("Europe/Moscow"); !errors.Is(err, ErrNoData) {
					t.Fatalf("Load = %v, want ErrNoData", err)
				}
				return
			}
			if got := offsetAt(t, d, "Europe/Moscow", june); got != 4*3600 {
				t.Errorf("Europe/Moscow by the system data: %d, want the crafted +4 h", got)
			}
			if got := offsetAt(t, Default(), "Europe/Moscow", june); got != 3*3600 {
				t.Errorf("Europe/Moscow by the embedded data: %d, want +3 h whatever the machine has", got)
			}
		})
	}
}
