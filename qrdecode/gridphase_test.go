package qrdecode

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestGridReadsWrinkledCodes: codes drawn on wrinkled paper as
// bench/qr/warped.sh draws them (each row moved along itself by
// A·sin(y/py + φ) px, each column along itself by A·sin(x/px + 2φ) px,
// so a module moves by up to A px and the move changes by up to a third
// of a module from one module row to the next), read by the grid
// sampling through the module-edge phase mesh (gridphase.go). Without it
// none of them read (811-1050 of 2025 modules wrong on the warped set).
func TestGridReadsWrinkledCodes(t *testing.T) {
	for _, tc := range []struct {
		text        string
		m, a        float64 // px a module, the wrinkle's amplitude in px
		py, px      float64 // its periods (/2π) across rows and columns, px
		phases      []float64
		wantAtLeast int
	}{
		// a mark's size (version 7) at 3 px a module, the warped set's wrinkle
		{strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7), 3, 4, 11, 15, []float64{0, 0.5, 1.5, 2.5, 3.5, 5}, 5},
		// version 4, a longer wrinkle of the same height
		{gridText, 3, 4, 14, 18, []float64{0.7, 2.2, 4.1}, 3},
	} {
		mods, dim := codeModules(t, tc.text)
		read := 0
		var missed []string
		for _, phi := range tc.phases {
			const ox, oy = 36, 36
			side := int(float64(dim)*tc.m) + 2*ox
			g := renderWarped(mods, dim, side, side, func(x, y float64) (float64, float64, bool) {
				X := x - ox + tc.a*math.Sin(y/tc.py+phi)
				Y := y - oy + tc.a*math.Sin(x/tc.px+2*phi)
				return X / tc.m, Y / tc.m, true
			})
			if got := NewDecoder().tryGrid(Stretch(g, nil), false); got == tc.text {
				read++
			} else {
				missed = append(missed, fmt.Sprintf("φ=%.1f", phi))
			}
		}
		t.Logf("%d modules, wrinkle %.0f px / %.0f,%.0f: read %d of %d (missed %v)", dim, tc.a, tc.py, tc.px, read, len(tc.phases), missed)
		if read < tc.wantAtLeast {
			t.Errorf("%d modules: read %d of %d wrinkled codes, want at least %d (missed %v)", dim, read, len(tc.phases), tc.wantAtLeast, missed)
		}
	}
}

// FuzzPhaseMesh runs the phase mesh on frames of any size (0×0
// included) with the input's bytes as pixels, at any code size, through
// a map that fits the code into the frame or not: it must not panic,
// give nil outside its bounds, and map every module centre to a finite
// point; unwrapPhases takes any table, empty ones included.
func FuzzPhaseMesh(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 21})
	f.Add([]byte{200, 200, 45, 1, 7, 255, 0, 128, 64, 3})
	f.Add([]byte{255, 255, 61, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		at := func(i int) int {
			if i < len(data) {
				return int(data[i])
			}
			return 0
		}
		w, h, dim := at(0), at(1), at(2)%80
		g := Gray{Pix: make([]byte, w*h), W: w, H: h}
		for i := range g.Pix {
			if len(data) > 4 {
				g.Pix[i] = data[4+i%(len(data)-4)]
			}
		}
		// the code over the frame, larger or smaller by the fourth byte
		k := float64(at(3)+64) / 192
		base := func(u, v float64) fpt {
			return fpt{u * k * float64(w) / float64(max(dim, 1)), v * k * float64(h) / float64(max(dim, 1))}
		}
		var s gridScratch
		pm := s.phaseMesh(g, dim, base)
		if pm != nil && (dim < 21 || dim > phaseMaxDim) {
			t.Fatalf("a mesh for %d modules", dim)
		}
		if pm != nil {
			for _, uv := range [][2]float64{{0.5, 0.5}, {float64(dim) / 2, 3.5}, {float64(dim) - 0.5, float64(dim) - 0.5}} {
				if p := pm(uv[0], uv[1]); math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
					t.Fatalf("module %v maps to %v", uv, p)
				}
			}
		}
		rows, cols := at(5)%50, at(6)%12
		ph, conf := make([]float64, rows*cols), make([]float64, rows*cols)
		for i := range ph {
			ph[i], conf[i] = float64(at(7+i%8))/255-0.5, float64(at(8+i%5))/255
		}
		unwrapPhases(ph, conf, rows, cols)
	})
}
