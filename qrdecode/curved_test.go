package qrdecode

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// A deterministic corpus of codes on curved surfaces (a label wrapped
// round a tube) and on wrinkled paper (a smooth random displacement
// whose creases run at any angle), with sensor noise and JPEG, for
// issue 12 item 6 ("codes on curved or wrinkled surfaces are what the
// best decoders still miss"). Every frame is drawn from fixed
// parameters and a fixed seed, so the counts below are exact.

// curvedCase is one drawn frame of the corpus.
type curvedCase struct {
	name string
	text string
	draw func(mods []bool, dim int) Gray
	// geom is the frame's side and its map from pixels to module
	// coordinates (before the noise), for diagnostics
	geom func(dim int) (int, func(x, y float64) (float64, float64, bool))
}

// curvedTexts are the corpus's codes: version 3 (29 modules) and a
// mark's size, version 7 (45 modules).
var curvedTexts = []string{
	"EPM1:CURVED-0123456789-ABCDEFGHIJKLMNOPQR",
	strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7),
}

// cylinderFrame draws the code wrapped round a cylinder whose axis runs
// down the frame, turned deg in the image plane, seen from elev degrees
// above the axis's normal (rows bow into arcs), orthographically: ppm px
// a module where the surface faces the camera, and the code's half width
// (quiet zone included) covering arc degrees of the tube.
func cylinderFrame(mods []bool, dim int, ppm, arc, deg, elev float64) Gray {
	side, f := cylinderMap(dim, ppm, arc, deg, elev)
	return renderWarped(mods, dim, side, side, f)
}

// cylinderMap is cylinderFrame's frame side and its map from pixels to
// module coordinates.
func cylinderMap(dim int, ppm, arc, deg, elev float64) (int, func(x, y float64) (float64, float64, bool)) {
	D := float64(dim)
	half := D/2 + 4                   // modules from the middle to the quiet zone's edge
	R := half / (arc * math.Pi / 180) // the radius in modules
	wpx := 2 * R * ppm * math.Sin(math.Min(arc, 90)*math.Pi/180)
	hpx := (D + 8) * ppm
	side := int(math.Hypot(wpx, hpx)) + 48
	c := float64(side) / 2
	rad, e := deg*math.Pi/180, elev*math.Pi/180
	sn, cs := math.Sin(rad), math.Cos(rad)
	return side, func(x, y float64) (float64, float64, bool) {
		x, y = x-c, y-c
		x, y = x*cs+y*sn, -x*sn+y*cs // into the tube's frame
		s := x / (R * ppm)
		if math.Abs(s) >= 1 {
			return 0, 0, false
		}
		a := math.Asin(s) // the angle round the tube from the camera
		// height h at angle a shows at row h·cos e − R·cos a·sin e, the
		// code's middle (h = 0, a = 0) at the frame's
		h := (y/ppm - R*math.Sin(e) + R*math.Cos(a)*math.Sin(e)) / math.Cos(e)
		return D/2 + a*R, D/2 + h, true
	}
}

// wrinkleFrame draws the code flat at ppm px a module, turned deg, on
// paper displaced by a sum of three creases: each a sine across a random
// direction, moving the paper along another random direction, of amp
// modules at most together, wavelengths of 10-22 modules (seed).
func wrinkleFrame(mods []bool, dim int, ppm, amp, deg float64, seed uint64) Gray {
	side, f := wrinkleMap(dim, ppm, amp, deg, seed)
	return renderWarped(mods, dim, side, side, f)
}

// wrinkleMap is wrinkleFrame's frame side and its map from pixels to
// module coordinates.
func wrinkleMap(dim int, ppm, amp, deg float64, seed uint64) (int, func(x, y float64) (float64, float64, bool)) {
	D := float64(dim)
	r := rand.New(rand.NewPCG(seed, 12))
	type crease struct{ kx, ky, dx, dy, ph float64 }
	var cr [3]crease
	for i := range cr {
		a, b := r.Float64()*math.Pi, r.Float64()*2*math.Pi
		k := 2 * math.Pi / ((10 + 12*r.Float64()) * ppm)
		m := amp / 3 * ppm * (0.6 + 0.8*r.Float64())
		cr[i] = crease{k * math.Cos(a), k * math.Sin(a), m * math.Cos(b), m * math.Sin(b), r.Float64() * 2 * math.Pi}
	}
	side := int((D+8)*ppm*1.5) + 48
	c := float64(side) / 2
	rad := deg * math.Pi / 180
	sn, cs := math.Sin(rad), math.Cos(rad)
	return side, func(x, y float64) (float64, float64, bool) {
		for _, k := range cr {
			s := math.Sin(k.kx*x + k.ky*y + k.ph)
			x, y = x+k.dx*s, y+k.dy*s
		}
		x, y = x-c, y-c
		x, y = x*cs+y*sn, -x*sn+y*cs
		return D/2 + x/ppm, D/2 + y/ppm, true
	}
}

// spoil adds sensor noise (σ sigma grey levels, seed) and, when q > 0,
// a round trip through JPEG at quality q.
func spoil(g Gray, sigma float64, q int, seed uint64) Gray {
	r := rand.New(rand.NewPCG(seed, 34))
	for i, p := range g.Pix {
		g.Pix[i] = byte(min(max(float64(p)+r.NormFloat64()*sigma, 0), 255))
	}
	if q <= 0 {
		return g
	}
	img := &image.Gray{Pix: g.Pix, Stride: g.W, Rect: image.Rect(0, 0, g.W, g.H)}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		panic(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		panic(err)
	}
	return FromImage(out)
}

// curvedCorpus lists the corpus: per code, cylinders at three arcs (the
// code's half width over 35°, 55° and 70° of the tube), two sizes, upright
// or turned and seen from above; wrinkles of three amplitudes at two
// seeds. Every third frame is noisy, every other one a JPEG.
func curvedCorpus() []curvedCase {
	var out []curvedCase
	n := 0
	for v, text := range curvedTexts {
		for _, arc := range []float64{35, 55, 70} {
			for _, ppm := range []float64{2.5, 3.5} {
				for _, pose := range []struct{ deg, elev float64 }{{0, 0}, {15, 20}} {
					n++
					sigma, q, seed := 2.0, 0, uint64(n)
					if n%3 == 0 {
						sigma = 6
					}
					if n%2 == 0 {
						q = 60
					}
					out = append(out, curvedCase{
						name: fmt.Sprintf("v%d-cyl%.0f-%.1fpx-%.0fdeg-%.0fup", []int{3, 7}[v], arc, ppm, pose.deg, pose.elev),
						text: text,
						draw: func(mods []bool, dim int) Gray {
							return spoil(cylinderFrame(mods, dim, ppm, arc, pose.deg, pose.elev), sigma, q, seed)
						},
						geom: func(dim int) (int, func(x, y float64) (float64, float64, bool)) {
							return cylinderMap(dim, ppm, arc, pose.deg, pose.elev)
						},
					})
				}
			}
		}
		for _, amp := range []float64{0.6, 1.0, 1.5} {
			for _, s := range []uint64{1, 2} {
				for _, ppm := range []float64{3} {
					n++
					sigma, q, seed, deg := 2.0, 0, uint64(n), float64(10*s)
					if n%3 == 0 {
						sigma = 6
					}
					if n%2 == 0 {
						q = 60
					}
					out = append(out, curvedCase{
						name: fmt.Sprintf("v%d-wrinkle%.1f-s%d", []int{3, 7}[v], amp, s),
						text: text,
						draw: func(mods []bool, dim int) Gray {
							return spoil(wrinkleFrame(mods, dim, ppm, amp, deg, s+uint64(10*v)), sigma, q, seed)
						},
						geom: func(dim int) (int, func(x, y float64) (float64, float64, bool)) {
							return wrinkleMap(dim, ppm, amp, deg, s+uint64(10*v))
						},
					})
				}
			}
		}
	}
	return out
}

// TestCurvedCorpusReport prints, per frame, whether the camera mode reads
// it on the first frame, within 4 frames, and whether the thorough mode
// does (CURVED_REPORT=1; CURVED_PNG=dir writes the frames).
func TestCurvedCorpusReport(t *testing.T) {
	if os.Getenv("CURVED_REPORT") == "" {
		t.Skip("CURVED_REPORT not set")
	}
	var c1, c4, th int
	all := curvedCorpus()
	for _, tc := range all {
		mods, dim := codeModules(t, tc.text)
		g := tc.draw(mods, dim)
		if dir := os.Getenv("CURVED_PNG"); dir != "" {
			writePNG(t, dir+"/"+tc.name+".png", g)
		}
		read := func(d *Decoder, frames int) (bool, string) {
			step := ""
			d.Trace = func(s string) { step = s }
			for range frames {
				got := d.Decode(g)
				for _, s := range got {
					if s != tc.text {
						t.Errorf("%s: WRONG TEXT %q", tc.name, s)
					}
				}
				if len(got) > 0 {
					return true, step
				}
			}
			return false, ""
		}
		first, s1 := read(NewDecoder(), 1)
		four, _ := read(NewDecoder(), 4)
		d := NewDecoder()
		d.Thorough = true
		thor, s3 := read(d, 1)
		if first {
			c1++
		}
		if four {
			c4++
		}
		if thor {
			th++
		}
		t.Logf("%-32s %dx%d camera1=%v(%s) camera4=%v thorough=%v(%s)", tc.name, g.W, g.H, first, s1, four, thor, s3)
	}
	t.Logf("of %d: camera first frame %d, within 4 frames %d, thorough %d", len(all), c1, c4, th)
}

func writePNG(t *testing.T, path string, g Gray) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, &image.Gray{Pix: g.Pix, Stride: g.W, Rect: image.Rect(0, 0, g.W, g.H)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// curvedReads are the corpus frames the camera mode reads on its first
// frame. v3-cyl70-3.5px-0deg-0up and v7-cyl55-3.5px-0deg-0up read since
// 2026-12-04's fourth pass: their side finder patterns are seen narrowed,
// so the finder widths put the size at version 9 and 11 for 7 and 3; the
// size the timing patterns count (timingVersions) reads them. The four
// of curvedLocalReads read since the fifth pass, through the local grid
// (gridlocal.go).
var curvedReads = append([]string{
	"v3-cyl35-2.5px-0deg-0up", "v3-cyl35-2.5px-15deg-20up", "v3-cyl35-3.5px-0deg-0up", "v3-cyl35-3.5px-15deg-20up",
	"v3-cyl55-2.5px-0deg-0up", "v3-cyl55-2.5px-15deg-20up", "v3-cyl55-3.5px-0deg-0up", "v3-cyl55-3.5px-15deg-20up",
	"v3-cyl70-3.5px-0deg-0up", "v3-wrinkle0.6-s1", "v3-wrinkle1.0-s1",
	"v7-cyl35-2.5px-0deg-0up", "v7-cyl35-2.5px-15deg-20up", "v7-cyl35-3.5px-0deg-0up", "v7-cyl35-3.5px-15deg-20up",
	"v7-cyl55-2.5px-0deg-0up", "v7-cyl55-3.5px-0deg-0up", "v7-wrinkle0.6-s1",
}, curvedLocalReads...)

// curvedLocalReads are read on a first camera frame since the fifth pass
// (2026-12-04): the version 7 tube at 55° seen from 20° above (rows bowed
// by ~2 modules) at both sizes, the one at 70° seen square-on at 3.5 px
// (its side columns at 0.5-0.6 of the middle's width), and a wrinkle of
// 0.6 modules the camera read before only on a later frame (up2).
var curvedLocalReads = []string{
	"v7-cyl55-2.5px-15deg-20up", "v7-cyl55-3.5px-15deg-20up", "v7-cyl70-3.5px-0deg-0up", "v7-wrinkle0.6-s2",
}

// TestCurvedCorpus pins what the camera mode reads of the corpus on a
// first frame (curvedReads, 22 of 36; 18 before the fifth pass, 16
// before the fourth) and
// that nothing in it is ever read as another text, in either mode. The
// thorough mode reads the same 22. Unread: the version 3 tubes at 70°
// at 2.5 px and seen from above, the version 7 ones at 70° at 2.5 px and
// seen from above (no triple of the right size, or a map too far off for
// the local fit to start from), and the wrinkles of 1-1.5 modules whose
// creases run at a slant.
func TestCurvedCorpus(t *testing.T) {
	want := map[string]bool{}
	for _, n := range curvedReads {
		want[n] = true
	}
	read := 0
	for _, tc := range curvedCorpus() {
		mods, dim := codeModules(t, tc.text)
		g := tc.draw(mods, dim)
		for _, thorough := range []bool{false, true} {
			d := NewDecoder()
			d.Thorough = thorough
			got := d.Decode(g)
			for _, s := range got {
				if s != tc.text {
					t.Fatalf("%s (thorough=%v): read %q, not the code's text", tc.name, thorough, s)
				}
			}
			if thorough {
				continue
			}
			if len(got) > 0 {
				read++
			}
			if want[tc.name] && len(got) == 0 {
				t.Errorf("%s: not read on the first camera frame", tc.name)
			}
		}
	}
	if read < len(curvedReads) {
		t.Errorf("camera mode read %d of the corpus on a first frame, want %d", read, len(curvedReads))
	}
}
