package scanner

import (
	"errors"
	"fmt"
	"testing"

	"markd/mark"
)

func TestScaleParse(t *testing.T) {
	const gPattern = `^ST,GS,\s*([0-9]+)\s*g`
	const named = `^(?P<weight>[-+0-9.,]+)\s*(?P<unit>[a-zA-Zа-я]+)$`
	for _, tc := range []struct {
		pattern string
		line    string
		grams   int
		err     error
		unit    string
	}{
		{"", "ST,GS,   0.125kg", 125, nil, ""},
		{"", "ST,GS,0.020kg", 20, nil, ""},
		{"", "ST,GS,  12.3456 kg", 12346, nil, ""}, // a fraction of a gram rounded up
		{"", "ST,GS,  12.3451 kg", 12346, nil, ""},
		{"", "ST,GS,  12.3450 kg", 12345, nil, ""},
		{"", "ST,GS,   0.0004kg", 1, nil, ""},
		{"", "ST,GS,   0.0005kg", 1, nil, ""},
		{"", "ST,GS,   0.020000000001kg", 21, nil, ""}, // past the 9th decimal too
		{"", "ST,GS,   0.020000000000kg", 20, nil, ""},
		{"", "ST,GS,   2kg", 2000, nil, ""},
		{"", "ST,GS,   0.000kg", 0, nil, ""},             // empty scale
		{"", "US,GS,   0.125kg", 0, ErrScaleNoMatch, ""}, // unstable
		{"", "ST,NT,   0.125kg", 0, ErrScaleNoMatch, ""}, // net weight: not this pattern
		{"", "OL,GS,   -----kg", 0, ErrScaleNoMatch, ""}, // overload
		{"", "ST,GS,   0.1.2kg", 0, ErrScaleNumber, ""},
		{"", "ST,GS,   .kg", 0, ErrScaleNumber, ""},
		{"", "ST,GS, 2000kg", 0, ErrScaleNumber, ""}, // over the bound
		{gPattern, "ST,GS,   125 g", 125, nil, ""},
		{gPattern, "ST,GS,125g", 125, nil, ""},
		{gPattern, "ST,GS,125kg", 0, ErrScaleNoMatch, ""},
		{named, "0,125 кг", 125, nil, ""},
		{named, "-0.002 kg", 0, nil, ""}, // tare drift
		{named, "+19.6 G", 20, nil, ""},
		{named, "19 lb", 0, ErrScaleUnit, ""},
		{`^W(\d+)`, "W125", 0, ErrScaleUnit, ""},
		{`^W(?P<weight>\d+)(?P<unit>g)?`, "W125", 0, ErrScaleUnit, ""},
		{`^W(\d+)`, "W125", 125, nil, "g"}, // unit from the config
		{`^W([0-9.]+)`, "W0.125", 125, nil, "kg"},
		{`^ST,GS,\s*([0-9.]+)`, "ST,GS,   0.125g", 125, nil, "kg"}, // a forced unit wins over the line
		{`^(\d+)`, "125 kg", 125, nil, "g"},
	} {
		t.Run(fmt.Sprintf("%s|%s", tc.pattern, tc.line), func(t *testing.T) {
			p, err := NewScaleParser(tc.pattern, tc.unit)
			if err != nil {
				t.Fatal(err)
			}
			g, err := p.Parse(tc.line)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("Parse(%q) error %v, want %v", tc.line, err, tc.err)
			}
			if g != tc.grams {
				t.Fatalf("Parse(%q) = %d g, want %d", tc.line, g, tc.grams)
			}
		})
	}
}

func TestScaleBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ScaleConfig
	}{
		{"bad regexp", ScaleConfig{Port: "/dev/x", Pattern: `^ST,GS,([0-9.]+kg`}},
		{"no group", ScaleConfig{Port: "/dev/x", Pattern: `^ST,GS,[0-9.]+kg`}},
		{"unit first", ScaleConfig{Port: "/dev/x", Pattern: `^(?P<unit>kg)`}},
		{"baud", ScaleConfig{Port: "/dev/x", Baud: 1234}},
		{"no port", ScaleConfig{}},
		{"unit", ScaleConfig{Port: "/dev/x", Unit: "lb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewScale("scale", tc.cfg, nil, nil); !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("NewScale = %v, want mark.ErrInvalid", err)
			}
		})
	}
}

// FuzzScaleParse: any line gives a weight in range or an error, never a
// panic; a weight formatted the scale's way reads back exactly.
func FuzzScaleParse(f *testing.F) {
	for _, s := range []string{"ST,GS,   0.125kg", "US,GS,   0.125kg", "ST,GS,0,5 kg", "ST,GS, 99999999999.99999999999kg", "ST,GS,-1kg", "ST,GS,\u00a01kg"} {
		f.Add(s, 125)
	}
	def, err := NewScaleParser("", "")
	if err != nil {
		f.Fatal(err)
	}
	named, err := NewScaleParser(`(?P<weight>[-+0-9.,]+)\s*(?P<unit>\pL*)`, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string, grams int) {
		for _, p := range []*ScaleParser{def, named} {
			g, err := p.Parse(line)
			if err == nil && (g < 0 || g > maxScaleGrams) {
				t.Fatalf("Parse(%q) = %d", line, g)
			}
			if err != nil && g != 0 {
				t.Fatalf("Parse(%q) = %d with error %v", line, g, err)
			}
		}
		grams = max(grams%maxScaleGrams, -grams%maxScaleGrams)
		line = fmt.Sprintf("ST,GS,%7d.%03dkg", grams/1000, grams%1000)
		if g, err := def.Parse(line); err != nil || g != grams {
			t.Fatalf("Parse(%q) = %d, %v; want %d", line, g, err, grams)
		}
	})
}
