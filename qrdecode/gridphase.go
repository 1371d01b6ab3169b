package qrdecode

import (
	"math"
	"sort"
)

// The module-edge phase mesh, for a code on wrinkled paper: its modules
// are moved by up to a module and a half, differently from one row (and
// column) to the next, so that neither one homography nor the timing
// patterns (one row, one column) place them.
//
// The code is resampled through the parallelogram of its finder
// patterns at phaseRes samples a module. Along each module row the
// vertical edges between modules (the gradient along the row) lie at
// whole module coordinates plus a phase: their mean position modulo a
// module, measured in windows of 2·phaseWindow modules along the row.
// That is the shift of the row's module columns, known only modulo a
// module. It is unwrapped from row 3 (through the finder patterns'
// centres, where the map is pinned: the window at the top-left one is
// taken as measured) outwards one row at a time: each row first along
// itself (each window nearest its neighbour), then as a whole by the
// whole number of modules that brings it nearest the row before moved
// by that row's own step. The paper bends smoothly, so the shift
// changes little along a row and its step little from row to row,
// though the step itself can reach half a module. The same along each
// module column for the horizontal edges, from column 3. Each module
// centre is then moved by the shifts interpolated where it lands.

const (
	phaseRes    = 4  // samples a module
	phaseWindow = 5  // modules either side of a window's centre
	phaseMaxDim = 61 // version 11: the resampled code is 244² samples
)

// phaseMesh returns base (module coordinates to pixels of c, see
// timingMesh) corrected by the module-edge phases of a dim×dim code, or
// nil when the code leaves c or its size is out of bounds (21 to
// phaseMaxDim modules: the cost grows with its square).
func (s *gridScratch) phaseMesh(c Gray, dim int, base func(u, v float64) fpt) func(u, v float64) fpt {
	if dim < 21 || dim > phaseMaxDim || c.W < 2 || c.H < 2 {
		return nil
	}
	// the map at the module corners, interpolated in between (a sixteenth
	// of the calls to base, which is smooth within a module)
	w := dim + 1
	if cap(s.corners) < w*w {
		s.corners = make([]fpt, w*w)
	}
	corners := s.corners[:w*w]
	for i := range w {
		for j := range w {
			p := base(float64(j), float64(i))
			if !(p.X >= -1 && p.Y >= -1 && p.X <= float64(c.W) && p.Y <= float64(c.H)) {
				return nil
			}
			corners[i*w+j] = p
		}
	}
	n := dim * phaseRes
	s.rect = growF(s.rect, n*n)
	r := s.rect
	for i := range dim {
		for j := range dim {
			a, b := corners[i*w+j], corners[i*w+j+1]
			cc, dd := corners[(i+1)*w+j], corners[(i+1)*w+j+1]
			for sy := range phaseRes {
				ty := (float64(sy) + 0.5) / phaseRes
				left, right := a.add(cc.sub(a).scale(ty)), b.add(dd.sub(b).scale(ty))
				row := r[(i*phaseRes+sy)*n+j*phaseRes:]
				for sx := range phaseRes {
					tx := (float64(sx) + 0.5) / phaseRes
					row[sx] = bilinear(c, left.add(right.sub(left).scale(tx)))
				}
			}
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
		conf := make([]float64, dim*len(centres))
		for j := range dim { // the module row (column)
			for a, uc := range centres {
				var re, im, sum float64
				x0 := max(0, (uc-phaseWindow)*phaseRes)
				x1 := min(n-1, (uc+phaseWindow)*phaseRes)
				for y := j * phaseRes; y < (j+1)*phaseRes; y++ {
					k := (x0 + 1) % phaseRes
					for x := x0; x < x1; x++ {
						var g float32
						if alongRows {
							g = r[y*n+x+1] - r[y*n+x]
						} else {
							g = r[(x+1)*n+y] - r[x*n+y]
						}
						w := float64(max(g, -g))
						re += w * cs[k]
						im -= w * sn[k]
						sum += w
						if k++; k == phaseRes {
							k = 0
						}
					}
				}
				// edges at k + p give re + i·im ∝ e^(−2πi·p); the
				// confidence is how much of the gradient lies at one phase
				ph[j*len(centres)+a] = -math.Atan2(im, re) / (2 * math.Pi)
				if sum > 0 {
					conf[j*len(centres)+a] = math.Hypot(re, im) / sum
				}
			}
		}
		unwrapPhases(ph, conf, dim, len(centres))
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

// unwrapPhases turns the phases ph (rows × cols, each within ±½, conf
// their confidences) into shifts, outwards from row 3 (see the top of
// the file).
func unwrapPhases(ph, conf []float64, rows, cols int) {
	const anchor = 3
	if rows <= anchor || cols == 0 {
		return
	}
	steps := make([]float64, 0, cols)
	row := func(j int) []float64 { return ph[j*cols : (j+1)*cols] }
	first := row(anchor)
	for a := 1; a < cols; a++ {
		first[a] += math.Round(first[a-1] - first[a])
	}
	for _, dir := range []int{1, -1} {
		for j := anchor + dir; j >= 0 && j < rows; j += dir {
			var before []float64 // the row before the row before, if unwrapped
			if k := j - 2*dir; (k-anchor)*dir >= 0 {
				before = row(k)
			}
			unwrapRow(row(j), row(j-dir), before, conf[j*cols:(j+1)*cols], steps)
		}
	}
}

// unwrapRow unwraps cur against prev (the row before, unwrapped) and
// before (the one before that, or nil); conf are cur's confidences,
// steps is scratch of cap len(cur).
// The row is first unwrapped along itself, each window nearest the one
// before (from the most confident one outwards), then moved as a whole
// by the whole number of modules that brings it nearest the prediction:
// the row before moved by its own step (the change from the one before
// that, at most maxStep).
func unwrapRow(cur, prev, before, conf, steps []float64) {
	best := 0
	for a := range cur {
		if conf[a] > conf[best] {
			best = a
		}
	}
	for a := best + 1; a < len(cur); a++ {
		cur[a] += math.Round(cur[a-1] - cur[a])
	}
	for a := best - 1; a >= 0; a-- {
		cur[a] += math.Round(cur[a+1] - cur[a])
	}
	steps = steps[:0]
	for a := range cur {
		last := 0.0
		if before != nil {
			last = min(max(prev[a]-before[a], -maxStep), maxStep)
		}
		steps = append(steps, prev[a]+last-cur[a])
	}
	k := math.Round(median(steps))
	for a := range cur {
		cur[a] += k
	}
}

// maxStep bounds the step of a row's shift from the row before that the
// next row is predicted to repeat (in modules).
const maxStep = 0.6

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
