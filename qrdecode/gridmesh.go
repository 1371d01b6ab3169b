package qrdecode

import (
	"math"
	"slices"
)

// The timing patterns: evidence that three finder patterns are a code's,
// and the local correction of a grid guess (see grid.go) along them, for
// a code on a cylinder.

// timingMesh returns the module-to-pixel map of f corrected along the
// timing patterns: the edges between the timing modules are located on
// the homography's row 6 and column 6, and each module column (row) is
// moved by the displacement interpolated from them. This straightens a
// code on a cylinder, where the modules narrow towards the sides, and
// the leftover error of the homography's corner guess. Where a timing
// pattern does not show the right number of edges, that axis is left as
// the homography has it.
func (s *gridScratch) timingMesh(c Gray, f *gridFit) func(u, v float64) fpt {
	// the row first; the column is then read where the row's shift puts
	// module column 6 (on a cylinder it lies off the homography's), and
	// the row once more where the column's shift puts module row 6
	du := s.timingShift(c, f, true, nil)
	dv := s.timingShift(c, f, false, du)
	if dv != nil {
		if again := s.timingShift(c, f, true, dv); again != nil {
			du = again
		}
	}
	return func(u, v float64) fpt {
		return f.at(u+shiftAt(du, u), v+shiftAt(dv, v))
	}
}

// timingShift returns, per module edge k (0..dim), how far the edge the
// timing pattern shows lies from where the homography puts it, in modules
// (nil when the edges do not match). across, when not nil, is the other
// axis's shift: the line is read at module 6.5 moved by it.
func (s *gridScratch) timingShift(c Gray, f *gridFit, row bool, across []float64) []float64 {
	line := 6.5 + shiftAt(across, 6.5)
	const step = 0.125
	// from the middle of the separator after one finder pattern to the
	// middle of the one before the next: the finders' own edges stay out
	from, to := 7.5, float64(f.dim)-7.5
	var vals []float32
	for u := from; u <= to; u += step {
		x, y := u, line
		if !row {
			x, y = y, x
		}
		p := f.at(x, y)
		if !p.in(c) {
			return nil
		}
		vals = append(vals, bilinear(c, p))
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	thr := (lo + hi) / 2
	var edges []float64
	for i := 1; i < len(vals); i++ {
		if (vals[i-1] < thr) != (vals[i] < thr) {
			t := float64(thr-vals[i-1]) / float64(vals[i]-vals[i-1])
			edges = append(edges, from+(float64(i-1)+t)*step)
		}
	}
	// edges between modules 7|8, 8|9, …, dim-9|dim-8
	if len(edges) != f.dim-15 {
		return nil
	}
	shift := make([]float64, f.dim+1)
	for i, e := range edges {
		shift[8+i] = e - float64(8+i)
	}
	// towards the finder centres the shift falls to nothing (they are
	// where the homography is pinned)
	for k := 0; k < 8; k++ {
		shift[k] = shift[8] * max(0, float64(k)-3.5) / 4.5
	}
	for k := f.dim - 7; k <= f.dim; k++ {
		shift[k] = shift[f.dim-8] * max(0, float64(f.dim)-3.5-float64(k)) / 4.5
	}
	return shift
}

// shiftAt interpolates the per-edge shift (see timingShift) at module
// coordinate u.
func shiftAt(shift []float64, u float64) float64 {
	if shift == nil {
		return 0
	}
	k := int(math.Floor(u))
	if k < 0 || k+1 >= len(shift) {
		return 0
	}
	t := u - float64(k)
	return shift[k]*(1-t) + shift[k+1]*t
}

// timingShare is the share of the module edges a timing pattern would
// show that the line from finder centre a towards b shows, 3 modules
// towards c (row or column 6), between the finder patterns (module size
// m): about 1 for a code's finder patterns, much less for look-alikes in
// its data.
func timingShare(g Gray, a, b, c fpt, m float64) float64 {
	l := a.dist(b)
	want := l/m - 8
	if want < 3 || m <= 0 {
		return 0
	}
	side := c.sub(a).scale(3 * m / c.dist(a))
	along := b.sub(a).scale(1 / l)
	var mean float32
	var vals [256]float32
	n := 0
	for t := 4 * m; t <= l-4*m && n < len(vals); t += m / 2 {
		p := a.add(along.scale(t)).add(side)
		if !p.in(g) {
			return 0
		}
		vals[n] = bilinear(g, p)
		mean += vals[n]
		n++
	}
	if n < 2 {
		return 0
	}
	mean /= float32(n)
	changes := 0
	for i := 1; i < n; i++ {
		if (vals[i-1] < mean) != (vals[i] < mean) {
			changes++
		}
	}
	return min(float64(changes)/want, 1)
}

// timingVersions adds to out the versions the timing patterns between
// t's finder centres count: along the line from one centre to the other,
// 3 modules towards the third, the finder rows are dark to module 7, the
// timing modules alternate and the next finder's row is dark again from
// module dim-7, dim-13 edges in all. The widths misjudge the module size
// of a code on a cylinder (its side finders are seen narrowed; version 7
// drawn round a tube at 55° measured version 9, at 70° version 11), the
// count does not. The line is tried at 2.2 to 3.8 of the widths' modules
// across (it must run inside row 6, a module wide, and the widths are
// those of rows, narrowed or widened); a size is kept when two lines
// count it (a line off row 6 counts data).
func timingVersions(c Gray, t finderTriple, out []int) []int {
	m := t.width / 7
	var votes [41]int
	for _, leg := range [2][3]fpt{{t.tl, t.tr, t.bl}, {t.tl, t.bl, t.tr}} {
		a, b, o := leg[0], leg[1], leg[2]
		l, lo := a.dist(b), a.dist(o)
		if l < 10*m || lo == 0 || m <= 0 {
			continue
		}
		along, side := b.sub(a).scale(1/l), o.sub(a).scale(1/lo)
		var vals [1024]float32
		step := max(min(m/4, 0.5), l/float64(len(vals)-1))
		n := int(l / step)
	lines:
		for _, k := range [...]float64{3, 2.6, 3.4, 2.2, 3.8} {
			start := a.add(side.scale(k * m))
			// the threshold: the line's mid grey
			var lo, hi float32 = 255, 0
			for i := 0; i <= n; i++ {
				p := start.add(along.scale(float64(i) * step))
				if !p.in(c) {
					continue lines
				}
				vals[i] = bilinear(c, p)
				lo, hi = min(lo, vals[i]), max(hi, vals[i])
			}
			if hi-lo < 32 {
				continue
			}
			thr := (lo + hi) / 2
			edges := 0
			for i := 1; i <= n; i++ {
				if (vals[i-1] < thr) != (vals[i] < thr) {
					edges++
				}
			}
			if dim := edges + 13; dim >= 21 && (dim-17)%4 == 0 && dim <= 177 {
				votes[(dim-17)/4]++
			}
		}
	}
	for v := 1; v <= 40; v++ {
		if votes[v] >= 2 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
