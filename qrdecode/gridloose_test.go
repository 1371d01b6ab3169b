package qrdecode

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// tiltedFrame draws text's code tilted away, its edge far (0 the top, 1
// the right, 2 the bottom, 3 the left edge of the code) top times as
// wide as the near one, ppm px a module at the near edge, turned deg
// degrees, on a desk around it (smallTiltedFrame is top 0.7, far 0).
func tiltedFrame(t testing.TB, text string, ppm, deg, top float64, far int) Gray {
	mods, dim := codeModules(t, text)
	D := float64(dim)
	side := ppm * (D + 8)
	frame := int(side*1.6) + 40
	cx := float64(frame) / 2
	x0 := cx - side/2
	rad := deg * math.Pi / 180
	turn := func(p fpt) fpt {
		x, y := p.X-cx, p.Y-cx
		return fpt{cx + x*math.Cos(rad) - y*math.Sin(rad), cx + x*math.Sin(rad) + y*math.Cos(rad)}
	}
	in := (1 - top) / 2 * side
	q := [4]fpt{turn(fpt{x0 + in, x0}), turn(fpt{x0 + side - in, x0}), turn(fpt{x0 + side, x0 + side}), turn(fpt{x0, x0 + side})}
	code := [4]fpt{{-4, -4}, {D + 4, -4}, {D + 4, D + 4}, {-4, D + 4}}
	var from [4]fpt
	for i := range from {
		from[i] = code[(i+far)%4]
	}
	inv := quadToQuad(from, q).adjoint()
	return renderWarped(mods, dim, frame, frame, func(x, y float64) (float64, float64, bool) {
		u, v := inv.apply(x, y)
		return u, v, true
	})
}

// smallTiltedCase is one frame of TestReadsSmallTurnedCodes.
type smallTiltedCase struct {
	ppm, deg, top float64
	far           int
}

func (c smallTiltedCase) String() string {
	return fmt.Sprintf("%.1fpx-%.0fdeg-top%.1f-far%d", c.ppm, c.deg, c.top, c.far)
}

// smallTiltedTable is a version 7 code (a mark's size) at 1.8-2.6 px a
// module at its near edge, turned 0-45°, tilted away with its top edge
// at 0.7 of the near one's width or its left edge at 0.6.
func smallTiltedTable() []smallTiltedCase {
	var out []smallTiltedCase
	for _, tilt := range []struct {
		top float64
		far int
	}{{0.7, 0}, {0.6, 3}} {
		for _, ppm := range []float64{1.8, 2.0, 2.2, 2.4, 2.6} {
			for _, deg := range []float64{0, 15, 30, 35, 40, 45} {
				out = append(out, smallTiltedCase{ppm, deg, tilt.top, tilt.far})
			}
		}
	}
	return out
}

// TestReadsSmallTurnedCodes: the 60 frames of smallTiltedTable, read in
// the thorough mode (markd decode), on a first camera frame and within
// 4 camera frames (one decoder). Before the grid sampling's third look
// (gridscan.go, 2026-12-05) 50, 50 and 50 read (checked on the code
// before it): turned 35-45° at about 2 px a module a far finder pattern
// was not found (its rows 3:2:6:2:2, its column unconfirmed one pixel
// off), upright at 2.4-2.6 px the far finders' centres were a module
// high (the scan keeps the first row that matched, refineCentre's
// window from there took in the outer ring), and in some the true
// triple ranked third or fourth. Now 58, 56 and 57; the camera mode
// reads one third-look triple a frame, in turn. SMALL_TILT_REPORT=1
// prints each frame's reads.
func TestReadsSmallTurnedCodes(t *testing.T) {
	text := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
	report := os.Getenv("SMALL_TILT_REPORT") != ""
	// unread by the thorough mode; by the camera mode, on its first
	// frame and within 4 frames, these and the others listed
	missed := map[string]bool{"2.0px-35deg-top0.7-far0": true, "1.8px-0deg-top0.6-far3": true}
	missedFirst := map[string]bool{"2.0px-40deg-top0.7-far0": true, "2.4px-0deg-top0.6-far3": true}
	missedWithin := map[string]bool{"2.4px-0deg-top0.6-far3": true}
	var thorough, first, within int
	for _, tc := range smallTiltedTable() {
		name := tc.String()
		g := tiltedFrame(t, text, tc.ppm, tc.deg, tc.top, tc.far)
		read := func(got []string, mode string) bool {
			for _, s := range got {
				if s != text {
					t.Errorf("%s, %s: read %q, not the code's text", name, mode, s)
				}
			}
			return len(got) == 1 && got[0] == text
		}
		th := NewDecoder()
		th.Thorough = true
		okT := read(th.Decode(g), "thorough")
		d := NewDecoder()
		okF := read(d.Decode(g), "camera")
		okW := okF
		for i := 0; i < 3 && !okW; i++ {
			okW = read(d.Decode(g), "camera")
		}
		if okT {
			thorough++
		} else if !missed[name] {
			t.Errorf("%s: not read by the thorough mode", name)
		}
		if okF {
			first++
		} else if !missed[name] && !missedFirst[name] {
			t.Errorf("%s: not read on the first camera frame", name)
		}
		if okW {
			within++
		} else if !missed[name] && !missedWithin[name] {
			t.Errorf("%s: not read within 4 camera frames", name)
		}
		if report {
			t.Logf("%-28s thorough %-5v camera first %-5v within 4 %v", name, okT, okF, okW)
		}
	}
	n := len(smallTiltedTable())
	t.Logf("of %d: thorough %d, camera first frame %d, within 4 frames %d", n, thorough, first, within)
	if thorough < 58 || first < 56 || within < 57 {
		t.Errorf("read %d, %d, %d of %d (thorough, camera first frame, within 4 frames), want 58, 56, 57", thorough, first, within, n)
	}
}

// TestLooseFindersCentres: the third look's scan finds the far top-left
// finder pattern of a version 7 code turned 45° at 2.0 px a module
// (which the scan of finder.go misses), and centres the upright far
// finders at 2.4 px 0° within a pixel (that scan's first row put them 2
// px, a module, high); each found pattern's centre, before refineCentre.
func TestLooseFindersCentres(t *testing.T) {
	text := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
	_, dim := codeModules(t, text)
	for _, tt := range []struct {
		ppm, deg float64
		module   fpt // the finder pattern's centre, module coordinates
	}{
		{2.0, 45, fpt{3.5, 3.5}},
		{2.4, 0, fpt{3.5, 3.5}},
		{2.4, 0, fpt{float64(dim) - 3.5, 3.5}},
	} {
		g := tiltedFrame(t, text, tt.ppm, tt.deg, 0.7, 0)
		// tiltedFrame's map, for where the pattern is
		D := float64(dim)
		side := tt.ppm * (D + 8)
		cx := float64(int(side*1.6)+40) / 2
		x0 := cx - side/2
		rad := tt.deg * math.Pi / 180
		turn := func(p fpt) fpt {
			x, y := p.X-cx, p.Y-cx
			return fpt{cx + x*math.Cos(rad) - y*math.Sin(rad), cx + x*math.Sin(rad) + y*math.Cos(rad)}
		}
		in := 0.15 * side
		q := [4]fpt{turn(fpt{x0 + in, x0}), turn(fpt{x0 + side - in, x0}), turn(fpt{x0 + side, x0 + side}), turn(fpt{x0, x0 + side})}
		h := quadToQuad([4]fpt{{-4, -4}, {D + 4, -4}, {D + 4, D + 4}, {-4, D + 4}}, q)
		x, y := h.apply(tt.module.X, tt.module.Y)
		want := fpt{x, y}
		c := Stretch(g, nil)
		var s gridScratch
		cs, ws := s.looseFinders(c)
		best := math.Inf(1)
		for _, p := range cs {
			best = min(best, pointOf(p).dist(want))
		}
		if best > 1.2 {
			t.Errorf("%.1f px %.0f°, pattern at %v: nearest of %d found %.1f px off", tt.ppm, tt.deg, tt.module, len(cs), best)
		}
		if len(cs) != len(ws) || len(cs) > finderMaxFound {
			t.Errorf("%d centres, %d widths", len(cs), len(ws))
		}
	}
}

// TestLooseFindersAnyFrame: the third look on frames of any size, flat,
// noisy or striped, 0×0 included: no panic, as many widths as centres,
// centres inside the frame, and readLoose reads nothing.
func TestLooseFindersAnyFrame(t *testing.T) {
	flat := func(w, h int) Gray { return Gray{Pix: bytes.Repeat([]byte{200}, w*h), W: w, H: h} }
	noise := Gray{Pix: make([]byte, 97*61), W: 97, H: 61}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.IntN(256))
	}
	for _, g := range []Gray{
		{}, {Pix: []byte{7}, W: 1, H: 1}, flat(7, 7), flat(8, 300), flat(300, 9), noise, stripes1(64, 64),
	} {
		var s gridScratch
		cs, ws := s.looseFinders(g)
		if len(cs) != len(ws) {
			t.Errorf("%dx%d: %d centres, %d widths", g.W, g.H, len(cs), len(ws))
		}
		for _, p := range cs {
			if p.X < 0 || p.Y < 0 || p.X >= g.W || p.Y >= g.H {
				t.Errorf("%dx%d: centre %v outside", g.W, g.H, p)
			}
		}
		cs, ws = mostFinderLike(g, cs, ws, gridLoosePatterns)
		if len(cs) != len(ws) || len(cs) > gridLoosePatterns {
			t.Errorf("%dx%d: mostFinderLike kept %d centres, %d widths", g.W, g.H, len(cs), len(ws))
		}
		for _, thorough := range []bool{true, false} {
			d := NewDecoder()
			d.Thorough = thorough
			if txt := d.grid.readLoose(d, g, gridMaxScored); txt != "" {
				t.Errorf("%dx%d: read %q", g.W, g.H, txt)
			}
		}
	}
}
