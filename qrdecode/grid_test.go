package qrdecode

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// gridText is long enough for a version 6 code (41 modules, alignment
// patterns) at level M.
const gridText = "EPM1:GRID-SAMPLING-TEST-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-ABCDEFGHIJ"

// codeModules returns the modules of text's QR code (no quiet zone),
// dark = true.
func codeModules(t testing.TB, text string) (mods []bool, dim int) {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_MARGIN:           0,
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		t.Fatal(err)
	}
	dim = bm.GetWidth()
	mods = make([]bool, dim*dim)
	for y := range dim {
		for x := range dim {
			mods[y*dim+x] = bm.Get(x, y)
		}
	}
	return mods, dim
}

// renderWarped draws a w×h frame of paper grey in which pixel (x, y)
// shows the module at toModule(x, y) (module coordinates, the code from 0
// to dim, a white quiet zone of 4 modules around it), 3×3 samples a pixel
// (the averaging a lens and sensor do).
func renderWarped(mods []bool, dim, w, h int, toModule func(x, y float64) (u, v float64, ok bool)) Gray {
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for y := range h {
		for x := range w {
			var sum float64
			for sy := range 3 {
				for sx := range 3 {
					u, v, ok := toModule(float64(x)+(float64(sx)+0.5)/3-0.5, float64(y)+(float64(sy)+0.5)/3-0.5)
					switch {
					case !ok || u < -4 || v < -4 || u >= float64(dim+4) || v >= float64(dim+4):
						sum += 140 // the desk
					case u >= 0 && v >= 0 && u < float64(dim) && v < float64(dim) && mods[int(v)*dim+int(u)]:
						sum += 30
					default:
						sum += 225
					}
				}
			}
			g.Pix[y*w+x] = byte(sum / 9)
		}
	}
	return g
}

func TestHomographyMapsCorners(t *testing.T) {
	unit := [4]fpt{{0, 0}, {1, 0}, {1, 1}, {0, 1}}
	tests := []struct {
		name     string
		from, to [4]fpt
	}{
		{"identity", unit, unit},
		{"scale and shift", unit, [4]fpt{{10, 20}, {30, 20}, {30, 40}, {10, 40}}},
		{"trapezoid", [4]fpt{{3.5, 3.5}, {37.5, 3.5}, {34.5, 34.5}, {3.5, 37.5}}, [4]fpt{{100, 90}, {170, 92}, {180, 175}, {85, 170}}},
		{"rotated", unit, [4]fpt{{0, 0}, {0, 1}, {-1, 1}, {-1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := quadToQuad(tt.from, tt.to)
			for i := range 4 {
				x, y := h.apply(tt.from[i].X, tt.from[i].Y)
				if !(fpt{x, y}).near(tt.to[i], 1e-9) {
					t.Errorf("corner %v → (%g, %g), want %v", tt.from[i], x, y, tt.to[i])
				}
			}
		})
	}
}

// TestGridReadsWarpedCodes: our grid sampling reads drawn codes that are
// tilted away (a trapezoid, 1.8 to 2.6 px per module), turned a quarter
// and a half, and wrapped around a cylinder (modules narrowing to the
// sides), each given as the contrast-stretched crop the decoder hands it.
func TestGridReadsWarpedCodes(t *testing.T) {
	mods, dim := codeModules(t, gridText)
	if dim < 25 {
		t.Fatalf("test code of %d modules has no alignment pattern", dim)
	}
	D := float64(dim)
	// a code of D modules seen tilted: its top edge 0.7 as wide as its
	// bottom, 2.2 px per module on average
	top := [4]fpt{{-4, -4}, {D + 4, -4}, {D + 4, D + 4}, {-4, D + 4}}
	side := 2.2 * (D + 8)
	tilted := quadToQuad(top, [4]fpt{{20 + 0.15*side, 20}, {20 + 0.85*side, 20}, {20 + side, 20 + side}, {20, 20 + side}})
	inv := tilted.adjoint()
	frame := int(side) + 40
	turn := func(k int) func(x, y float64) (float64, float64, bool) {
		return func(x, y float64) (float64, float64, bool) {
			u, v := inv.apply(x, y)
			for range k { // a quarter turn of the code about its centre
				u, v = v, D-u
			}
			return u, v, true
		}
	}
	// around a cylinder of radius 0.6 of the code's width: 3 px per
	// module in the middle
	radius := 0.6 * (D + 8) * 3
	cx := float64(frame) / 2
	cylinder := func(x, y float64) (float64, float64, bool) {
		s := (x - cx) / radius
		if math.Abs(s) >= 1 {
			return 0, 0, false
		}
		return D/2 + math.Asin(s)*radius/3, (y-20)/3 - 4, true
	}
	tests := []struct {
		name string
		g    Gray
	}{
		{"tilted", renderWarped(mods, dim, frame, frame, turn(0))},
		{"tilted, quarter turn", renderWarped(mods, dim, frame, frame, turn(1))},
		{"tilted, half turn", renderWarped(mods, dim, frame, frame, turn(2))},
		{"cylinder", renderWarped(mods, dim, frame, int(3*(D+8))+40, cylinder)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Stretch(tt.g, nil)
			if got := NewDecoder().tryGrid(c, false); got != gridText {
				t.Errorf("grid sampling read %q, want the code's text", got)
			}
		})
	}
}

// TestTimingMeshFollowsCylinder: on a code around a cylinder the timing
// patterns show every module edge, and the shift they give grows towards
// the sides (the modules narrow), which a single homography cannot follow.
func TestTimingMeshFollowsCylinder(t *testing.T) {
	mods, dim := codeModules(t, gridText)
	D := float64(dim)
	radius := 0.55 * (D + 8) * 3
	w := int(3*(D+8)) + 40
	cx := float64(w) / 2
	g := Stretch(renderWarped(mods, dim, w, w, func(x, y float64) (float64, float64, bool) {
		s := (x - cx) / radius
		if math.Abs(s) >= 1 {
			return 0, 0, false
		}
		return D/2 + math.Asin(s)*radius/3, (y-20)/3 - 4, true
	}), nil)
	var s finderScratch
	cs, ws := s.find(g, Rect{0, 0, g.W, g.H}, finderMaxFound)
	tr := finderTriples(g, cs, ws, 1, gridMaxScored)
	if len(tr) == 0 {
		t.Fatal("no finder triple")
	}
	tri := tr[0]
	tri.tl, tri.tr, tri.bl = refineCentre(g, tri.tl, tri.width), refineCentre(g, tri.tr, tri.width), refineCentre(g, tri.bl, tri.width)
	e := D - 3.5
	f := gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, {e, e}, {3.5, e}},
		[4]fpt{tri.tl, tri.tr, tri.tr.add(tri.bl).sub(tri.tl), tri.bl})}
	var gs gridScratch
	du := gs.timingShift(g, &f, true, nil)
	if du == nil {
		t.Fatal("the horizontal timing pattern's edges were not all found")
	}
	// the homography spaces columns evenly between the finder centres; on
	// the cylinder the middle columns are wider, so the edges left of the
	// middle lie left of where it puts them, those right of it right
	q := dim / 4
	if !(du[q] < -0.2 && du[dim-q] > 0.2) {
		t.Errorf("shift at edges %d and %d: %.2f and %.2f modules, want < -0.2 and > 0.2", q, dim-q, du[q], du[dim-q])
	}
	if gs.timingShift(g, &f, false, du) == nil {
		t.Error("the vertical timing pattern's edges were not all found")
	}
}

// TestGridFindsNothingWithoutCode: text, noise and a flat frame give no
// finder triple worth a decode, or a decode that reads nothing.
func TestGridFindsNothingWithoutCode(t *testing.T) {
	noise := Gray{Pix: make([]byte, 300*300), W: 300, H: 300}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.IntN(256))
	}
	for name, g := range map[string]Gray{
		"text":  textLines(400, 300, 3),
		"noise": noise,
		"flat":  {Pix: bytes.Repeat([]byte{90}, 200*200), W: 200, H: 200},
		"empty": {},
	} {
		if got := NewDecoder().tryGrid(g, false); got != "" {
			t.Errorf("%s: read %q", name, got)
		}
	}
}

// FuzzGrid warps a code by a homography whose corners the input moves,
// scratches the frame with the input's bytes and runs the grid sampling:
// it must not panic (a degenerate homography, corners outside the frame,
// look-alikes anywhere), and whatever it reads must be the code's text.
func FuzzGrid(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{40, 200, 13, 7, 255, 0, 128, 99, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(bytes.Repeat([]byte{255}, 64))
	mods, dim := codeModules(f, gridText)
	D := float64(dim)
	f.Fuzz(func(t *testing.T, data []byte) {
		at := func(i int) float64 { // corner offsets of −64..63 px
			if i < len(data) {
				return float64(int(data[i]) - 128)
			}
			return 0
		}
		const side = 200
		quad := [4]fpt{
			{20 + at(0)/2, 20 + at(1)/2}, {20 + side + at(2)/2, 20 + at(3)/2},
			{20 + side + at(4)/2, 20 + side + at(5)/2}, {20 + at(6)/2, 20 + side + at(7)/2},
		}
		h := quadToQuad([4]fpt{{-4, -4}, {D + 4, -4}, {D + 4, D + 4}, {-4, D + 4}}, quad).adjoint()
		g := renderWarped(mods, dim, 240, 240, func(x, y float64) (float64, float64, bool) {
			u, v := h.apply(x, y)
			return u, v, !math.IsNaN(u) && !math.IsNaN(v)
		})
		for i := 8; i+2 < len(data); i += 3 {
			p := (int(data[i])<<8 | int(data[i+1])) % len(g.Pix)
			g.Pix[p] = data[i+2]
		}
		if got := NewDecoder().tryGrid(g, false); got != "" && got != gridText {
			t.Errorf("read %q, not the code's text", got)
		}
	})
}

// TestGridReadsTurnedCodes: a version 7 code (the size of a mark) tilted
// away (top 0.7 as wide as the bottom) and turned in the image plane, at
// 2.2 and 3 px per module, read through the camera mode. The finder
// triple is chosen by a template at each pattern's own module size (a
// row crosses a turned pattern up to √2 wider than it is) and by the
// timing patterns between the three; before that the turned ones failed.
func TestGridReadsTurnedCodes(t *testing.T) {
	text := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
	mods, dim := codeModules(t, text)
	if dim != 45 {
		t.Fatalf("test code of %d modules, want 45 (version 7)", dim)
	}
	D := float64(dim)
	tests := []struct{ ppm, deg float64 }{
		{2.2, 30}, {2.2, 45}, {2.2, 60}, {2.2, 135}, {2.2, 200},
		{3, 0}, {3, 15}, {3, 30}, {3, 60}, {3, 135}, {3, 200},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.1fpx-%.0fdeg", tt.ppm, tt.deg), func(t *testing.T) {
			side := tt.ppm * (D + 8)
			frame := int(side*1.6) + 40
			cx := float64(frame) / 2
			x0 := cx - side/2
			rad := tt.deg * math.Pi / 180
			turn := func(p fpt) fpt {
				x, y := p.X-cx, p.Y-cx
				return fpt{cx + x*math.Cos(rad) - y*math.Sin(rad), cx + x*math.Sin(rad) + y*math.Cos(rad)}
			}
			q := [4]fpt{turn(fpt{x0 + 0.15*side, x0}), turn(fpt{x0 + 0.85*side, x0}), turn(fpt{x0 + side, x0 + side}), turn(fpt{x0, x0 + side})}
			inv := quadToQuad([4]fpt{{-4, -4}, {D + 4, -4}, {D + 4, D + 4}, {-4, D + 4}}, q).adjoint()
			g := renderWarped(mods, dim, frame, frame, func(x, y float64) (float64, float64, bool) {
				u, v := inv.apply(x, y)
				return u, v, true
			})
			d := NewDecoder()
			step := ""
			d.Trace = func(s string) { step = s }
			if got := d.Decode(g); len(got) != 1 || got[0] != text {
				t.Errorf("read %q", got)
			}
			t.Logf("read by %s", step)
		})
	}
}
