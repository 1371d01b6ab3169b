package qrdecode

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestExpSmallTilted(t *testing.T) {
	for _, text := range []string{strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7), "EPM1:SHORT"} {
		mods, dim := codeModules(t, text)
		D := float64(dim)
		for _, ppm := range []float64{1.6, 1.8, 2.0} {
			for _, deg := range []float64{0, 10, 20, 30, 45} {
				side := ppm * (D + 8)
				frame := int(side*1.6) + 40
				cx := float64(frame) / 2
				x0 := cx - side/2
				rad := deg * math.Pi / 180
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
				res := ""
				for _, th := range []bool{false, true} {
					d := NewDecoder()
					d.Thorough = th
					step := ""
					d.Trace = func(s string) { step = s }
					got := d.Decode(g)
					ok := len(got) == 1 && got[0] == text
					cs, ws := d.grid.finders.find(Stretch(g, nil), Rect{0, 0, g.W, g.H}, finderMaxFound)
					_ = cs
					res += fmt.Sprintf(" th=%v ok=%v step=%s finders=%v;", th, ok, step, ws)
				}
				t.Logf("dim %d ppm %.1f deg %.0f:%s", dim, ppm, deg, res)
			}
		}
	}
}
