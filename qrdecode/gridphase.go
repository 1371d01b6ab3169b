package qrdecode

import (
	"math"
	"sort"
)

// The module-edge phase mesh: a code on wrinkled paper, whose modules
// are moved by up to a module and a half, differently from one row (and
// column) to the next, so that neither one homography nor the timing
// patterns (one row, one column) place them.
//
// The code is resampled through the timing-corrected map at phaseRes
// samples a module. Along each module row the vertical edges between
// modules (the gradient across the row) lie at whole module coordinates
// plus a phase: their mean position modulo one module, measured within
// windows of 2·phaseWindow modules along the row. That is the shift of
// the row's module columns, known only modulo a module. It is unwrapped
// outwards from the timing row (row 6, where the timing correction
// pinned it to nothing) one row at a time, each row's shift taken as the
// one nearest the row before's (the paper bends smoothly: less than half
// a module from one module row to the next). The same along each module
// column for the horizontal edges, outwards from column 6. Each module
// centre is then moved by the shifts interpolated where it lands.

const (
	phaseRes    = 6 // samples a module
	phaseWindow = 5 // modules either side of a window's centre
)

// phaseMesh returns base (module coordinates to pixels of c, see
// timingMesh) corrected by the module-edge phases of a dim×dim code, or
// nil when the code is too small for it or leaves c.
func (s *gridScratch) phaseMesh(c Gray, dim int, base func(u, v float64) fpt) func(u, v float64) fpt {
	if dim < 21 || c.W < 2 || c.H < 2 {
		return nil
	}
	n := dim * phaseRes
	s.rect = growF(s.rect, n*n)
	r := s.rect
	for y := range n {
		for x := range n {
			p := base((float64(x)+0.5)/phaseRes, (float64(y)+0.5)/phaseRes)
			if !(p.X >= -1 && p.Y >= -1 && p.X <= float64(c.W) && p.Y <= float64(c.H)) {
				return nil
			}
			r[y*n+x] = bilinear(c, p)
		}
	}
	centres := phaseCentres(dim)
	// the gradient between samples x and x+1 lies at (x+1)/phaseRes
	var cs, sn [phaseRes]float64
	for k := range phaseRes {
		a := 2 * math.Pi * float64(k) / phaseRes
		cs[k], sn[k] = math.Cos(a), math.Sin(a)
	}
	measure := func(alongRows bool) []float64 {
		ph := make([]float64, dim*len(centres))
		for j := range dim { // the module row (column)
			for a, uc := range centres {
				var re, im float64
				x0 := max(0, (uc-phaseWindow)*phaseRes)
				x1 := min(n-1, (uc+phaseWindow)*phaseRes)
				for y := j * phaseRes; y < (j+1)*phaseRes; y++ {
					for x := x0; x < x1; x++ {
						var g float32
						if alongRows {
							g = r[y*n+x+1] - r[y*n+x]
						} else {
							g = r[(x+1)*n+y] - r[x*n+y]
						}
						w := math.Abs(float64(g))
						k := (x + 1) % phaseRes
						re += w * cs[k]
						im -= w * sn[k]
					}
				}
				// edges at k + p give re + i·im ∝ e^(−2πi·p)
				ph[j*len(centres)+a] = -math.Atan2(im, re) / (2 * math.Pi)
			}
		}
		unwrapPhases(ph, dim, len(centres))
		return ph
	}
	px := measure(true)  // per row j, window a: the shift along u
	py := measure(false) // per column i, window a: the shift along v
	shift := func(ph []float64, along, across float64) float64 {
		// across: the row (column) coordinate, along: the position in it
		j := min(max(across-0.5, 0), float64(dim-1))
		j0 := min(int(j), dim-2)
		tj := j - float64(j0)
		a0, ta := windowAt(centres, along)
		at := func(j int) float64 {
			row := ph[j*len(centres):]
			if ta == 0 || a0+1 >= len(centres) {
				return row[a0]
			}
			return row[a0]*(1-ta) + row[a0+1]*ta
		}
		return at(j0)*(1-tj) + at(j0+1)*tj
	}
	return func(u, v float64) fpt {
		x, y := u, v
		for range 3 {
			x, y = u+shift(px, x, y), v+shift(py, y, x)
		}
		return base(x, y)
	}
}

// phaseCentres returns the centres (in modules) of the windows along a
// row of dim modules: phaseWindow from either end and about as far apart.
func phaseCentres(dim int) []int {
	k := max(1, (dim-2*phaseWindow+phaseWindow-1)/phaseWindow)
	out := make([]int, 0, k+1)
	for i := 0; i <= k; i++ {
		out = append(out, phaseWindow+i*(dim-2*phaseWindow)/k)
	}
	return out
}

// windowAt returns the window before module coordinate u and how far
// towards the next one u lies (0 outside the outermost centres).
func windowAt(centres []int, u float64) (int, float64) {
	if u <= float64(centres[0]) {
		return 0, 0
	}
	for a := 0; a+1 < len(centres); a++ {
		if u < float64(centres[a+1]) {
			return a, (u - float64(centres[a])) / float64(centres[a+1]-centres[a])
		}
	}
	return len(centres) - 1, 0
}

// unwrapPhases turns the phases ph (rows × cols, each within ±½) into
// shifts: row 6, the timing pattern's, is taken as measured; every other
// row, outwards from it, gets the whole number of modules that brings
// each of its shifts nearest the row before's moved by the row's step.
// The step is the median over the row of each window's own (its
// measured change from the row before, taken nearest the change the
// row before showed): the paper bends smoothly, so the step changes
// little from one row to the next and along a row, though it can reach
// half a module.
func unwrapPhases(ph []float64, rows, cols int) {
	const anchor = 6
	steps := make([]float64, cols)
	row := func(j int) []float64 { return ph[j*cols : (j+1)*cols] }
	for _, dir := range []int{1, -1} {
		for j := anchor + dir; j >= 0 && j < rows; j += dir {
			var before []float64
			if k := j - 2*dir; k >= 0 && k < rows {
				before = row(k)
			}
			unwrapRow(row(j), row(j-dir), before, steps)
		}
	}
}

// unwrapRow unwraps cur against prev (the row before, unwrapped) and
// before (the one before that, or nil); steps is scratch of len(cur).
func unwrapRow(cur, prev, before, steps []float64) {
	for a := range cur {
		last := 0.0
		if before != nil {
			last = prev[a] - before[a]
		}
		d := cur[a] - prev[a] - last
		steps[a] = d - math.Round(d) + last
	}
	step := median(steps)
	for a := range cur {
		cur[a] += math.Round(prev[a] + step - cur[a])
	}
}

// median returns the median of v (reordering it); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
