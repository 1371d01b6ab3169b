// Package zonestest makes zone data for tests: TZif files of made-up
// rules and zone data sets holding them, so a test shows what two
// releases of the tz database that disagree do, on any machine and date.
package zonestest

import (
	"encoding/binary"
	"testing/fstest"
	"time"

	"markd/internal/zones"
)

// Span is a zone's rule from From on: its UTC offset in seconds east and
// abbreviation (3–6 letters, such as MSK).
type Span struct {
	From time.Time // ignored on the first span: the rule before any change
	Off  int
	Abbr string
}

// TZif is a version 1 TZif file of the spans, in order: the first span's
// rule until the second's From, and so on.
func TZif(spans ...Span) []byte {
	var chars []byte
	idx := make([]byte, len(spans))
	for i, s := range spans {
		idx[i] = byte(len(chars))
		chars = append(append(chars, s.Abbr...), 0)
	}
	be := binary.BigEndian
	b := append([]byte("TZif"), make([]byte, 16)...) // version 1, reserved
	for _, n := range []int{0, 0, 0, len(spans) - 1, len(spans), len(chars)} {
		b = be.AppendUint32(b, uint32(n)) // isut, isstd, leap, time, type, char counts
	}
	for _, s := range spans[1:] {
		b = be.AppendUint32(b, uint32(int32(s.From.Unix())))
	}
	for i := range spans[1:] {
		b = append(b, byte(i+1))
	}
	for i, s := range spans {
		b = be.AppendUint32(b, uint32(int32(s.Off)))
		b = append(b, 0, idx[i]) // not DST, abbreviation index
	}
	return append(b, chars...)
}

// Data is a zone data set of the named TZif files, tz release version,
// named source ("test").
func Data(source, version string, files map[string][]byte) *zones.Data {
	fsys := fstest.MapFS{}
	for name, b := range files {
		fsys[name] = &fstest.MapFile{Data: b}
	}
	return zones.FromFS(source, fsys, version, "test data "+version)
}
