package qrdecode

import (
	"math"
	"testing"
)

func TestFitLocal(t *testing.T) {
	const half = 22.5
	want := localPoly{0.3, -0.5, 0.2, 0.4, -0.1, 0, 0.25, 0, 0.05, -0.2, 0.1, 0, -0.3, 0.15}
	var obs []localObs
	for v := 0.5; v < 45; v += 3 {
		for u := 0.5; u < 45; u += 3 {
			obs = append(obs, localObs{u, v, want.at(u, v, half)})
		}
	}
	tests := []struct {
		name   string
		obs    []localObs
		ridge  float64
		ok     bool
		maxErr float64
	}{
		{"exact polynomial", obs, 1e-9, true, 1e-6},
		{"held by the ridge", obs, localRidge, true, 0.05},
		{"no points, no ridge", nil, 0, false, 0},
		{"no points: all zero", nil, localRidge, true, 1e-12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fitLocal(tt.obs, half, tt.ridge)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			for _, o := range tt.obs {
				if d := math.Abs(got.at(o.u, o.v, half) - o.d); d > tt.maxErr {
					t.Fatalf("at (%v, %v): off by %v, want at most %v", o.u, o.v, d, tt.maxErr)
				}
			}
			if tt.obs == nil && got != (localPoly{}) {
				t.Fatalf("no points fitted %v, want zero", got)
			}
		})
	}
}

// TestFitLocalRobustDropsOutlier: a look-alike taken for an alignment
// pattern two modules off does not bend the fit.
func TestFitLocalRobustDropsOutlier(t *testing.T) {
	const half = 22.5
	var obs []localObs
	for v := 0.5; v < 45; v += 4 {
		for u := 0.5; u < 45; u += 4 {
			obs = append(obs, localObs{u, v, 0.02 * (u - half)})
		}
	}
	obs = append(obs, localObs{38.5, 38.5, 2})
	p, ok := fitLocalRobust(obs, half)
	if !ok {
		t.Fatal("fit failed")
	}
	if d := math.Abs(p.at(38.5, 38.5, half) - 0.02*(38.5-half)); d > 0.05 {
		t.Fatalf("the outlier moved the fit by %v modules", d)
	}
}

// TestLocalMeshTube: from the parallelogram of a version 7 code's true
// finder centres round a tube at 70° (its side columns at 0.5-0.6 of the
// middle's width), the homography alone and the timing correction read
// nothing, the local grid reads it.
func TestLocalMeshTube(t *testing.T) {
	text := curvedTexts[1]
	mods, dim := codeModules(t, text)
	side, f := cylinderMap(dim, 3.5, 70, 0, 0)
	g := renderWarped(mods, dim, side, side, f)
	m := trueModuleMap(side, f)
	e := float64(dim) - 3.5
	tl, tr, bl := m(3.5, 3.5), m(e, 3.5), m(3.5, e)
	fit := gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, {e, e}, {3.5, e}}, [4]fpt{tl, tr, tr.add(bl).sub(tl), bl})}
	d := NewDecoder()
	if got := d.grid.sampleDecode(d, g, dim, fit.at); got != "" {
		t.Fatalf("the homography alone read %q: the case tests nothing", got)
	}
	if got := d.grid.sampleDecode(d, g, dim, d.grid.timingMesh(g, &fit)); got != "" {
		t.Fatalf("the timing correction read %q: the case tests nothing", got)
	}
	lm := d.grid.localMesh(g, &fit)
	if lm == nil {
		t.Fatal("no local grid")
	}
	if got := d.grid.sampleDecode(d, g, dim, lm); got != text {
		t.Fatalf("local grid read %q, want the code's text", got)
	}
}

// FuzzLocalMesh: any frame and any guess, the local grid neither panics
// nor maps outside what sampleDecode can take.
func FuzzLocalMesh(f *testing.F) {
	f.Add([]byte{}, uint8(0), 10.0, 10.0, 100.0, 12.0, 8.0, 90.0)
	f.Add([]byte{0, 255, 0, 255, 30, 225}, uint8(6), 5.0, 5.0, 60.0, 5.0, 5.0, 60.0)
	f.Add([]byte{255}, uint8(40), -10.0, 3.0, 1e9, 0.0, 0.0, math.NaN())
	f.Fuzz(func(t *testing.T, pix []byte, ver uint8, x0, y0, x1, y1, x2, y2 float64) {
		const w, h = 48, 40
		g := Gray{Pix: make([]byte, w*h), W: w, H: h}
		for i := range g.Pix {
			if len(pix) > 0 {
				g.Pix[i] = pix[i%len(pix)]
			}
		}
		dim := 4*int(ver%42) + 17
		e := float64(dim) - 3.5
		tl, tr, bl := fpt{x0, y0}, fpt{x1, y1}, fpt{x2, y2}
		fit := gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, {e, e}, {3.5, e}}, [4]fpt{tl, tr, tr.add(bl).sub(tl), bl})}
		d := NewDecoder()
		if lm := d.grid.localMesh(g, &fit); lm != nil {
			_ = d.grid.sampleDecode(d, g, dim, lm)
		}
	})
}
