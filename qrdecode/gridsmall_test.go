package qrdecode

import (
	"fmt"
	"strings"
	"testing"
)

// TestThoroughReadsSmallTiltedCodes: a version 7 code (a mark's size)
// tilted away (the top 0.7 as wide as the bottom) at 1.6-1.8 px a module
// (1.1-1.3 at the far edge), turned a little. Its far finder patterns
// are 8-9 px across, under the finder scan's 10: the grid sampling's
// second look for smaller patterns reads them in the thorough mode
// (markd decode); before it none read. The camera mode reads the one at
// 1.8 px turned 10° on its first frame: its gate keeps 8-9 px patterns
// apart and passes a triangle with one only with both timing patterns
// (finder.go), and the grid sampling then looks again too; before, its
// gate saw no code there. Where the gate passes on a triangle of 10 px
// look-alikes in the code's data (1.8 px at 0°, 1.6 px at 30°, 1.7 px at
// 20° and 45°) the camera mode read nothing before 2026-12-04 (second
// commit): the grid sampling now takes its second look whenever the
// gate's modules are under gridSmallModule px. At 1.6 px and 0° the
// scan's widths (8, 8 and 11 px, the 11 replaced by the others' median)
// put the size at version 9 for 7: the size from each pattern's module
// size fitted to the template (fittedVersion) reads it. At 1.6 px 20°
// and 1.7 px 30° the guess with the right size and alignment pattern
// (0.3-0.4 px off) read nothing through the timing correction, which
// at 1.1-1.3 px a module misplaces the edges; its homography alone
// reads them (gridPlainModule). At 1.7 px 0° and 2.2 px 0° the finder
// widths put the size at version 10 and 9 (8 fitted), and at version 7
// the alignment search left the pattern 1.3-2 px off: read since the
// sizes two and three versions under are tried for small modules and
// the alignment pattern is searched again at each decoded guess's own
// module vectors (2026-12-04, third pass). At 1.6 and 1.7 px 10° the
// far top-left pattern's centre was refined 1.3-1.6 px off (a module):
// read since patterns of modules under gridSubModule px are centred on
// quarter-pixel samples (refineCentreSub).
func TestReadsSmallTiltedCodes(t *testing.T) {
	text := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
	for _, tt := range []struct {
		ppm, deg float64
		camera   bool
	}{{1.8, 0, true}, {1.8, 10, true}, {1.6, 30, true}, {1.7, 20, true}, {1.7, 45, true}, {1.6, 0, true}, {1.6, 20, true}, {1.7, 30, true}, {1.7, 0, true}, {2.2, 0, true}, {1.6, 10, true}, {1.7, 10, true}} {
		t.Run(fmt.Sprintf("%.1fpx-%.0fdeg", tt.ppm, tt.deg), func(t *testing.T) {
			g := smallTiltedFrame(t, text, tt.ppm, tt.deg)
			modes := []bool{true}
			if tt.camera {
				modes = append(modes, false)
			}
			for _, thorough := range modes {
				d := NewDecoder()
				d.Thorough = thorough
				step := ""
				d.Trace = func(s string) { step = s }
				if got := d.Decode(g); len(got) != 1 || got[0] != text {
					t.Fatalf("thorough=%v: read %q", thorough, got)
				}
				if step != "grid" {
					t.Errorf("thorough=%v: read by %s, not the grid sampling", thorough, step)
				}
			}
		})
	}
}

// smallTiltedFrame draws text's code tilted away (the top 0.7 as wide as
// the bottom) at ppm px a module at the bottom, turned deg degrees, on a
// desk around it.
func smallTiltedFrame(t testing.TB, text string, ppm, deg float64) Gray {
	return tiltedFrame(t, text, ppm, deg, 0.7, 0)
}

// TestThoroughReadsTiltedVersion1: a version 1 code (21 modules) tilted
// away like the ones above. Its finder centres are 14 modules apart, two
// pattern widths square-on, and tilted or turned its far leg measures
// 1.3-2 widths: no triple was formed. It has no alignment pattern, and
// the parallelogram's fourth corner lies 2-2.5 modules off the true one.
// The thorough mode (markd decode) now tries triples with legs down to
// gridShortLeg widths as version 1 codes, their fourth corner searched
// by the contrast of the sampled modules (readVersion1); before, neither
// mode read any. The camera mode: see TestCameraReadsTiltedVersion1.
func TestThoroughReadsTiltedVersion1(t *testing.T) {
	const text = "EPM1:ABC"
	if _, dim := codeModules(t, text); dim != 21 {
		t.Fatalf("%d modules, not a version 1 code", dim)
	}
	for _, tt := range []struct{ ppm, deg float64 }{{1.6, 0}, {1.7, 10}, {1.8, 20}, {2.0, 45}, {2.2, 30}} {
		t.Run(fmt.Sprintf("%.1fpx-%.0fdeg", tt.ppm, tt.deg), func(t *testing.T) {
			d := NewDecoder()
			d.Thorough = true
			step := ""
			d.Trace = func(s string) { step = s }
			if got := d.Decode(smallTiltedFrame(t, text, tt.ppm, tt.deg)); len(got) != 1 || got[0] != text {
				t.Fatalf("read %q", got)
			}
			if step != "grid" {
				t.Errorf("read by %s, not the grid sampling", step)
			}
		})
	}
}

// TestCameraReadsTiltedVersion1: the same version 1 code tilted away at
// 1.6-3 px a module, turned 0-45°, read by the camera mode on its first
// frame. Its gate wanted legs of 14 modules (two mean widths), which a
// tilted or turned version 1 code does not show (1.3-2 widths), so the
// camera read none of these 35, not even at 3 px a module. Since the
// fourth pass (2026-12-04) the gate passes legs down to gateShortLeg
// modules with both of a version 1 code's timing patterns, and the grid
// sampling then searches the fourth corner (readVersion1). Missed: the
// gate finds no such triangle (the timing patterns sampled at whole
// pixels from the row scan's centres) at 1.6 px 20° and 30°, 1.7 px 0°,
// 1.8 px 20°, 2.0 px 30° and 45°, 2.5 and 3 px 45°; 2.2 and 2.5 px 0°
// pass the gate and read in neither mode.
func TestCameraReadsTiltedVersion1(t *testing.T) {
	const text = "EPM1:ABC"
	missed := map[string]bool{"1.6px-20deg": true, "1.6px-30deg": true, "1.7px-0deg": true, "1.8px-20deg": true,
		"2.0px-30deg": true, "2.0px-45deg": true, "2.2px-0deg": true, "2.5px-0deg": true, "2.5px-45deg": true, "3.0px-45deg": true}
	read := 0
	for _, ppm := range []float64{1.6, 1.7, 1.8, 2.0, 2.2, 2.5, 3} {
		for _, deg := range []float64{0, 10, 20, 30, 45} {
			name := fmt.Sprintf("%.1fpx-%.0fdeg", ppm, deg)
			d := NewDecoder()
			step := ""
			d.Trace = func(s string) { step = s }
			got := d.Decode(smallTiltedFrame(t, text, ppm, deg))
			for _, s := range got {
				if s != text {
					t.Fatalf("%s: read %q, not the code's text", name, s)
				}
			}
			if len(got) == 1 {
				read++
				if step != "grid" {
					t.Errorf("%s: read by %s, not the grid sampling", name, step)
				}
			} else if !missed[name] {
				t.Errorf("%s: not read on the first camera frame", name)
			}
		}
	}
	if read < 25 {
		t.Errorf("read %d of 35 tilted version 1 codes, want 25", read)
	}
}
