// Package zones loads IANA time zones for markd and markhub from one zone
// data set, so every counter and the collector judge a mark's dates by
// the same zone rules: by default the data carried inside the binary
// (zoneinfo.zip, a copy of a Go release's $GOROOT/lib/time/zoneinfo.zip,
// its tz release recorded in zoneinfo.version by
// scripts/update-zonedata.sh), on every platform, whatever zone files
// the machine has. The config key zone_data: system uses the machine's
// own files instead (the ZONEINFO environment variable, a folder or a
// zip, else /usr/share/zoneinfo and the other places Go looks on Unix;
// Windows has none), for an operator who must follow a zone rule change
// before a release carries it.
//
// time.LoadLocation prefers the machine's files over embedded data
// (time/tzdata is only its last resort), so nothing else in markd may
// call it: TestNoOtherLoadLocation keeps it so.
package zones

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"
)

// The names of the zone data sets, as the config key zone_data takes them.
const (
	Embedded = "embedded" // inside the binary (default)
	System   = "system"   // the machine's zone files
)

// Sentinel errors: errors.Is tells them apart.
var (
	// ErrUnknownZone: the data have no zone of that name.
	ErrUnknownZone = errors.New("no such time zone")
	// ErrNoData: the zone data set cannot be read (system data on a
	// machine without zone files).
	ErrNoData = errors.New("zone data not found")
	// ErrBadSource: zone_data names no zone data set markd knows.
	ErrBadSource = errors.New("unknown zone data set")
)

//go:embed zoneinfo.zip
var embeddedZip []byte

//go:embed zoneinfo.version
var embeddedRecord string

// Data is one zone data set: where its zones come from, its tz release,
// and the zones parsed so far (each once).
type Data struct {
	source  string // Embedded, System, or what a test names it
	version string // tz release, such as 2025c; "unknown" when the data do not say
	where   string // the files, for error messages
	read    func(name string) ([]byte, error)

	mu    sync.Mutex
	cache map[string]*time.Location // only zones found: at most the data's ~600
}

// Source is the name of the data set: embedded, system.
func (d *Data) Source() string { return d.source }

// Version is the tz release of the data, such as 2025c; "unknown" when
// the system's files do not name it.
func (d *Data) Version() string { return d.version }

// String names the set and its release, as doctor, /healthz and the logs
// show it: "embedded 2025c", "system 2025b".
func (d *Data) String() string { return d.source + " " + d.version }

// Info is a data set as /healthz shows it.
type Info struct {
	Source  string `json:"source"`  // embedded, system
	Version string `json:"version"` // tz release, such as 2025c; unknown
}

// Info is the set's source and release.
func (d *Data) Info() Info { return Info{Source: d.source, Version: d.version} }

// Load returns the zone name of the data set ("" and "UTC": UTC; "Local":
// the machine's zone, as time.LoadLocation has them). An error wraps
// ErrUnknownZone (or ErrNoData) and names the zone and the data set.
func (d *Data) Load(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return time.Local, nil
	}
	if !validName(name) {
		return nil, fmt.Errorf("time zone %q: %w (a name of the tz database, such as Europe/Moscow)", name, ErrUnknownZone)
	}
	d.mu.Lock()
	loc, ok := d.cache[name]
	d.mu.Unlock()
	if ok {
		return loc, nil
	}
	b, err := d.read(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("time zone %q: %w in the %s zone data (tz %s, %s)", name, ErrUnknownZone, d.source, d.version, d.where)
	}
	if err != nil {
		return nil, fmt.Errorf("time zone %q from the %s zone data (%s): %w", name, d.source, d.where, err)
	}
	loc, err = time.LoadLocationFromTZData(name, b)
	if err != nil {
		return nil, fmt.Errorf("time zone %q in the %s zone data (%s): %w: %v", name, d.source, d.where, ErrUnknownZone, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev, ok := d.cache[name]; ok {
		return prev, nil // another caller parsed it meanwhile: one Location a name
	}
	d.cache[name] = loc
	return loc, nil
}

// validName refuses what could leave the data's folder: "..", a leading
// slash or backslash, as time.LoadLocation does.
func validName(name string) bool {
	if len(name) > 255 || name[0] == '/' || name[0] == '\\' || strings.ContainsRune(name, 0) {
		return false
	}
	for part := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return false
		}
	}
	return true
}

// Default is the data set of a process whose config does not choose:
// the embedded one.
func Default() *Data { return embedded() }

// Named returns the data set zone_data names: "" or embedded, system.
func Named(source string) (*Data, error) {
	switch source {
	case "", Embedded:
		return embedded(), nil
	case System:
		return system(), nil
	}
	return nil, fmt.Errorf("zone data %q: %w: use embedded (inside the binary, the default) or system (the machine's zone files)", source, ErrBadSource)
}

var embedded = sync.OnceValue(func() *Data {
	version, _, _ := RecordedVersion()
	d, err := FromZip(Embedded, embeddedZip, version, "inside the binary")
	if err != nil {
		panic("internal/zones: the embedded zoneinfo.zip does not read: " + err.Error()) // caught by TestEmbedded
	}
	return d
})

// RecordedVersion is what zoneinfo.version records of the embedded zip:
// its tz release and SHA-256 (hex).
func RecordedVersion() (version, sha256hex string, err error) {
	v, sum, ok := strings.Cut(strings.TrimSpace(embeddedRecord), " sha256:")
	if !ok || v == "" || len(sum) != 64 {
		return "unknown", "", fmt.Errorf("internal/zones/zoneinfo.version %q: want \"<tz release> sha256:<hex>\" as scripts/update-zonedata.sh writes it", embeddedRecord)
	}
	return v, sum, nil
}

// FromZip is a data set of the zones in a zip such as Go's zoneinfo.zip,
// one TZif file per zone name.
func FromZip(source string, b []byte, version, where string) (*Data, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("zone data %s: %w: %v", where, ErrNoData, err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		files[f.Name] = f
	}
	read := func(name string) ([]byte, error) {
		f, ok := files[name]
		if !ok {
			return nil, fs.ErrNotExist
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(io.LimitReader(r, 1<<20))
	}
	return newData(source, version, where, read), nil
}

// FromFS is a data set of the zones in fsys, one TZif file per zone name
// (a zoneinfo folder).
func FromFS(source string, fsys fs.FS, version, where string) *Data {
	read := func(name string) ([]byte, error) {
		if !fs.ValidPath(name) {
			return nil, fs.ErrNotExist
		}
		return fs.ReadFile(fsys, name)
	}
	return newData(source, version, where, read)
}

func newData(source, version, where string, read func(string) ([]byte, error)) *Data {
	if version == "" {
		version = "unknown"
	}
	return &Data{source: source, version: version, where: where, read: read, cache: map[string]*time.Location{}}
}
