package qrdecode

import (
	"math"
	"os"
	"testing"
)

// trueModuleMap inverts a corpus frame's pixel-to-module map: the pixel
// of each module coordinate, by Newton steps from the nearest pixel.
func trueModuleMap(side int, f func(x, y float64) (float64, float64, bool)) func(u, v float64) fpt {
	type uv struct{ u, v float64 }
	grid := make([]uv, side*side)
	for y := range side {
		for x := range side {
			u, v, ok := f(float64(x), float64(y))
			if !ok {
				u, v = math.NaN(), math.NaN()
			}
			grid[y*side+x] = uv{u, v}
		}
	}
	return func(u, v float64) fpt {
		best, bd := 0, math.Inf(1)
		for i, g := range grid {
			if d := math.Hypot(g.u-u, g.v-v); d < bd {
				best, bd = i, d
			}
		}
		x, y := float64(best%side), float64(best/side)
		for range 6 {
			u0, v0, _ := f(x, y)
			u1, v1, _ := f(x+0.1, y)
			u2, v2, _ := f(x, y+0.1)
			a, b := (u1-u0)/0.1, (u2-u0)/0.1
			c, d := (v1-v0)/0.1, (v2-v0)/0.1
			det := a*d - b*c
			if det == 0 {
				break
			}
			eu, ev := u-u0, v-v0
			x += (d*eu - b*ev) / det
			y += (-c*eu + a*ev) / det
		}
		return fpt{x, y}
	}
}

// TestCurvedTrueMap samples each corpus frame through its true map
// (CURVED_REPORT=1): whether the sampling and thresholding alone read it.
func TestCurvedTrueMap(t *testing.T) {
	if os.Getenv("CURVED_REPORT") == "" {
		t.Skip("CURVED_REPORT not set")
	}
	for _, tc := range curvedCorpus() {
		mods, dim := codeModules(t, tc.text)
		g := tc.draw(mods, dim)
		side, f := tc.geom(dim)
		m := trueModuleMap(side, f)
		cache := map[[2]float64]fpt{}
		at := func(u, v float64) fpt {
			k := [2]float64{u, v}
			if p, ok := cache[k]; ok {
				return p
			}
			p := m(u, v)
			cache[k] = p
			return p
		}
		d := NewDecoder()
		got := d.grid.sampleDecode(d, g, dim, at)
		t.Logf("%-32s true map: %v", tc.name, got == tc.text)
	}
}

// TestCurvedTrueBase runs the local fit from the homography of the true
// finder centres and alignment corner (CURVED_REPORT=1).
func TestCurvedTrueBase(t *testing.T) {
	if os.Getenv("CURVED_REPORT") == "" {
		t.Skip("CURVED_REPORT not set")
	}
	for _, tc := range curvedCorpus() {
		mods, dim := codeModules(t, tc.text)
		g := tc.draw(mods, dim)
		side, f := tc.geom(dim)
		m := trueModuleMap(side, f)
		D := float64(dim)
		e, a := D-3.5, D-6.5
		fit := gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, {a, a}, {3.5, e}}, [4]fpt{m(3.5, 3.5), m(e, 3.5), m(a, a), m(3.5, e)})}
		d := NewDecoder()
		plain := d.grid.sampleDecode(d, g, dim, fit.at) == tc.text
		tm := d.grid.sampleDecode(d, g, dim, d.grid.timingMesh(g, &fit)) == tc.text
		lm := d.grid.localMesh(g, &fit)
		loc := lm != nil && d.grid.sampleDecode(d, g, dim, lm) == tc.text
		t.Logf("%-32s true base: homography %v timing %v local %v", tc.name, plain, tm, loc)
	}
}
