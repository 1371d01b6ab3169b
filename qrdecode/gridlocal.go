package qrdecode

import (
	"math"
	"sort"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// The local grid: a code on a tube (its columns narrowing towards the
// sides, its rows bowed into arcs when seen from above) is fitted by no
// homography, and the separable timing correction (timingMesh) moves
// each module column by one shift and each row by one, which cannot bow
// a row. Here a guess's homography is corrected by a smooth displacement
// in module coordinates, a cubic polynomial in (u, v) for each axis,
// fitted by least squares to what the code shows of itself: the finder
// centres (pinned), each edge between the timing modules (row 6 gives
// the column shift along it, column 6 the row shift), tracked from the
// finder patterns inwards one module at a time (so narrowing modules
// keep their count where one threshold across the line loses edges),
// and every alignment pattern the version has, searched near where the
// current fit puts it. Fit, measure again through the fit, fit again.

// localTerms is the number of polynomial terms of each axis's shift.
const localTerms = 14

// localRounds is how many times the timing edges and alignment patterns
// are measured through the current fit and the fit redone.
const localRounds = 3

// localObs is one measured shift d (modules) of one axis at module
// coordinate (u, v).
type localObs struct{ u, v, d float64 }

// localPoly is a fitted shift: the coefficients of localBasis.
type localPoly [localTerms]float64

// localBasis is the polynomial terms at (u, v), scaled to about -1..1 by
// the code's half size.
func localBasis(u, v, half float64) [localTerms]float64 {
	x, y := u/half-1, v/half-1
	x2, y2 := x*x, y*y
	return [localTerms]float64{1, x, y, x2, x * y, y2, x2 * x, x2 * y, x * y2, y2 * y, x2 * x2, y2 * y2, x2 * x2 * x, y2 * y2 * y}
}

func (p *localPoly) at(u, v, half float64) float64 {
	b := localBasis(u, v, half)
	var s float64
	for i, c := range p {
		s += c * b[i]
	}
	return s
}

// fitLocal fits a localPoly to obs by least squares, each coefficient
// held towards 0 by ridge (few points fix the higher terms). ok is false
// when the system is singular.
func fitLocal(obs []localObs, half, ridge float64) (p localPoly, ok bool) {
	var a [localTerms][localTerms + 1]float64
	for _, o := range obs {
		b := localBasis(o.u, o.v, half)
		for i := range localTerms {
			for j := range localTerms {
				a[i][j] += b[i] * b[j]
			}
			a[i][localTerms] += b[i] * o.d
		}
	}
	for i := range localTerms {
		a[i][i] += ridge
	}
	// Gaussian elimination with partial pivoting
	for col := range localTerms {
		piv := col
		for r := col + 1; r < localTerms; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return p, false
		}
		a[col], a[piv] = a[piv], a[col]
		for r := range localTerms {
			if r == col {
				continue
			}
			k := a[r][col] / a[col][col]
			for j := col; j <= localTerms; j++ {
				a[r][j] -= k * a[col][j]
			}
		}
	}
	for i := range localTerms {
		p[i] = a[i][localTerms] / a[i][i]
		if math.IsNaN(p[i]) || math.IsInf(p[i], 0) {
			return p, false
		}
	}
	return p, true
}

// localMesh returns f's map corrected by the local fit (see above), or
// nil when the code leaves c or the fit fails.
func (s *gridScratch) localMesh(c Gray, f *gridFit) func(u, v float64) fpt {
	return s.localFit(c, f, localRounds, true)
}

// localCheck tells whether f's timing edges, tracked through two rounds
// of the local fit without the alignment patterns (about a tenth of its
// cost), meet from the two finder patterns on either axis: how the
// camera mode chooses the guesses it corrects.
func (s *gridScratch) localCheck(c Gray, f *gridFit) bool {
	return s.localFit(c, f, 2, false) != nil
}

// localFit is localMesh in rounds rounds, with the alignment patterns
// when aligns.
func (s *gridScratch) localFit(c Gray, f *gridFit, rounds int, aligns bool) func(u, v float64) fpt {
	dim := f.dim
	if dim < 21 || dim > 177 {
		return nil
	}
	ver, err := decoder.Version_GetVersionForNumber((dim - 17) / 4)
	if err != nil {
		return nil
	}
	half := float64(dim) / 2
	inv := f.h.adjoint()
	var pu, pv localPoly
	at := func(u, v float64) fpt {
		return f.at(u+pu.at(u, v, half), v+pv.at(u, v, half))
	}
	back := func(p fpt) fpt {
		x, y := inv.apply(p.X, p.Y)
		return fpt{x, y}
	}
	centres := ver.GetAlignmentPatternCenters()
	var au, av []localObs // the alignment patterns' shifts, last round
	var rowDone, colDone bool
	for round := range rounds {
		// the row axis first (a tube narrows its columns: column 6 is
		// only found once the row's shift is known), then the column
		// axis through that, then the alignment patterns through both
		ou := s.localFinderEdges(c, dim, at, back, true, nil)
		ou, ok, complete := s.localTiming(c, dim, at, back, true, ou)
		if !ok {
			return nil
		}
		rowDone = complete
		if pu, ok = fitLocalRobust(append(ou, au...), half); !ok {
			return nil
		}
		ov := s.localFinderEdges(c, dim, at, back, false, nil)
		if ov, ok, colDone = s.localTiming(c, dim, at, back, false, ov); !ok {
			return nil
		}
		if pv, ok = fitLocalRobust(append(ov, av...), half); !ok {
			return nil
		}
		if !aligns {
			continue
		}
		reach := 1.0
		if round == 0 {
			reach = 2
		}
		au, av = au[:0], av[:0]
		for _, ay := range centres {
			for _, ax := range centres {
				if (ax <= 8 && ay <= 8) || (ax >= dim-9 && ay <= 8) || (ax <= 8 && ay >= dim-9) {
					continue // under a finder pattern
				}
				u, v := float64(ax)+0.5, float64(ay)+0.5
				p := at(u, v)
				if !p.in(c) {
					continue
				}
				ex, ey := at(u+1, v).sub(p), at(u, v+1).sub(p)
				aps := findAlignments(c, p, ex, ey, reach, 1)
				if len(aps) == 0 || alignmentScore(c, aps[0], ex, ey) < 60 {
					continue
				}
				q := back(aps[0])
				au = append(au, localObs{u, v, q.X - u})
				av = append(av, localObs{u, v, q.Y - v})
			}
		}
		if len(au) == 0 {
			continue
		}
		nu, oku := fitLocalRobust(append(ou, au...), half)
		nv, okv := fitLocalRobust(append(ov, av...), half)
		if !oku || !okv {
			return nil
		}
		pu, pv = nu, nv
	}
	if !rowDone && !colDone {
		// neither timing pattern's edges from the two finder patterns
		// meet: not this size
		return nil
	}
	return at
}

// localFinderEdges appends to obs the shifts of the finder patterns'
// own edges along the row axis (row) or the column axis through each
// centre: from 4.4 modules before the centre to 4.4 after (the light
// separator or quiet zone on both sides), the line must cross its mid
// grey six times, to dark at 3.5 modules before the centre, to light at
// 2.5, dark at 1.5, light at 1.5 after, dark at 2.5 and light at 3.5
// (edges 0, 1, 2, 5, 6, 7 of a finder at the top left). A line that
// shows anything else (data under a map a module off) adds nothing.
func (s *gridScratch) localFinderEdges(c Gray, dim int, at func(u, v float64) fpt, back func(fpt) fpt, row bool, obs []localObs) []localObs {
	e := float64(dim) - 3.5
	var vals [72]float32
	const step = 0.125
	for _, ctr := range [3]fpt{{3.5, 3.5}, {e, 3.5}, {3.5, e}} {
		along, across := ctr.X, ctr.Y
		if !row {
			along, across = across, along
		}
		pt := func(u float64) fpt {
			if row {
				return at(u, across)
			}
			return at(across, u)
		}
		from := along - 4.4
		n := 0
		lo, hi := float32(255), float32(0)
		for ; n < len(vals); n++ {
			u := from + float64(n)*step
			if u > along+4.4 {
				break
			}
			p := pt(u)
			if !p.in(c) {
				n = -1
				break
			}
			vals[n] = bilinear(c, p)
			lo, hi = min(lo, vals[n]), max(hi, vals[n])
		}
		if n < 2 || hi-lo < 24 {
			lo, hi = 0, 0 // no edges: pinned below
		}
		thr := (lo + hi) / 2
		var xs []float64
		good := true
		for i := 1; i < n; i++ {
			a, b := vals[i-1], vals[i]
			if (a < thr) != (b < thr) {
				// dark at crossings 0, 2, 4
				if (b < thr) != (len(xs)%2 == 0) {
					good = false
				}
				xs = append(xs, from+(float64(i-1)+float64(thr-a)/float64(b-a))*step)
			}
		}
		if !good || len(xs) != 6 {
			// the centre as the guess has it (the finder centres are
			// where it is pinned)
			if row {
				obs = append(obs, localObs{along, across, back(pt(along)).X - along})
			} else {
				obs = append(obs, localObs{across, along, back(pt(along)).Y - along})
			}
			continue
		}
		for i, off := range [6]float64{-3.5, -2.5, -1.5, 1.5, 2.5, 3.5} {
			q := back(pt(xs[i]))
			k := along + off
			if row {
				obs = append(obs, localObs{k, across, q.X - k})
			} else {
				obs = append(obs, localObs{across, k, q.Y - k})
			}
		}
	}
	return obs
}

// readLocal reads a triple through the local grid (see readTriple) from
// its best guess (fits[0]) and its parallelograms (paras).
func (s *gridScratch) readLocal(d *Decoder, c Gray, fits, paras []gridFit) string {
	fits = fits[:min(len(fits), 1)]
	fits = append(fits, paras...)
	sort.SliceStable(fits[1:], func(a, b int) bool {
		fa, fb := fits[1+a], fits[1+b]
		return fa.timing*(fb.dim-16) > fb.timing*(fa.dim-16)
	})
	if !d.Thorough {
		n := 0
		for i, f := range fits {
			// the best guess always; the others when their timing
			// edges meet
			if n < gridLocalFits && (i == 0 || s.localCheck(c, &f)) {
				fits[n] = f
				n++
			}
		}
		fits = fits[:n]
	}
	for i := range fits {
		if lm := s.localMesh(c, &fits[i]); lm != nil {
			if txt := s.sampleDecode(d, c, fits[i].dim, lm); txt != "" {
				return txt
			}
		}
	}
	return ""
}

// gridLocalFits is how many guesses of a triple the camera mode corrects
// through the local grid (see readTriple).
const gridLocalFits = 3

// localRidge holds the higher terms of a local fit towards 0.
const localRidge = 0.05

// fitLocalRobust fits obs, drops the points more than half a module off
// the fit (a look-alike taken for an alignment pattern, a slipped timing
// edge) and fits again.
func fitLocalRobust(obs []localObs, half float64) (localPoly, bool) {
	p, ok := fitLocal(obs, half, localRidge)
	if !ok {
		return p, false
	}
	kept := obs[:0:0]
	for _, o := range obs {
		if math.Abs(p.at(o.u, o.v, half)-o.d) <= 0.5 {
			kept = append(kept, o)
		}
	}
	if len(kept) == len(obs) {
		return p, true
	}
	return fitLocal(kept, half, localRidge)
}

// localTiming appends to obs the shifts the timing pattern shows (row 6
// when row, else column 6) through the map at: the line is sampled at
// an eighth of a module, thresholded at the mid grey of the 4 modules
// around each sample, and the edge between modules k-1 and k (dark from
// the light separator at k = 8, alternating) is tracked from each finder
// pattern inwards, each one looked for a module width (the last one's)
// on from the one before. Where the two tracks overlap they must agree;
// when they do not, only the third of the line nearest each finder is
// kept. back maps pixels to the homography's module coordinates. ok is
// false when the line leaves c.
func (s *gridScratch) localTiming(c Gray, dim int, at func(u, v float64) fpt, back func(fpt) fpt, row bool, obs []localObs) (out []localObs, ok, complete bool) {
	const step = 0.125
	from, to := 3.5, float64(dim)-3.5 // finder centre to finder centre
	pt := func(u float64) fpt {
		if row {
			return at(u, 6.5)
		}
		return at(6.5, u)
	}
	n := int((to-from)/step) + 1
	s.vals = growF(s.vals, n)
	vals := s.vals[:n]
	for i := range n {
		p := pt(from + float64(i)*step)
		if !p.in(c) {
			return obs, false, false
		}
		vals[i] = bilinear(c, p)
	}
	// crossings of the local mid grey: position and whether the line
	// turns dark there
	type cross struct {
		u    float64
		dark bool
	}
	var xs []cross
	const win = 16 // 2 modules
	thr := func(i int) float32 {
		lo, hi := vals[i], vals[i]
		for j := max(0, i-win); j <= min(n-1, i+win); j++ {
			lo, hi = min(lo, vals[j]), max(hi, vals[j])
		}
		if hi-lo < 24 {
			return -1
		}
		return (lo + hi) / 2
	}
	prevT := thr(0)
	for i := 1; i < n; i++ {
		t := thr(i)
		if t < 0 || prevT < 0 {
			prevT = t
			continue
		}
		m := (t + prevT) / 2
		a, b := vals[i-1], vals[i]
		if (a < m) != (b < m) {
			f := float64(m-a) / float64(b-a)
			xs = append(xs, cross{from + (float64(i-1)+f)*step, b < m})
		}
		prevT = t
	}
	nearest := func(pred, reach float64, dark bool) (float64, bool) {
		best, bd := 0.0, reach
		for _, x := range xs {
			if x.dark == dark && math.Abs(x.u-pred) <= bd {
				best, bd = x.u, math.Abs(x.u-pred)
			}
		}
		return best, bd < reach
	}
	// the finder patterns' row 6 (column 6) is dark from their centre
	// out to edge 7 (dim-7): the first crossing to light after the
	// left centre, the last to dark before the right one, wherever the
	// guess put them; the module width from there to the centre
	first, last := 7, dim-7
	pos := make([]float64, dim+1)
	fromLeft := make([]float64, dim+1)
	for k := range pos {
		pos[k], fromLeft[k] = math.NaN(), math.NaN()
	}
	var w0l, w0r float64
	for _, x := range xs {
		if !x.dark && x.u > from+1 {
			fromLeft[first], w0l = x.u, (x.u-from)/3.5
			break
		}
	}
	for i := len(xs) - 1; i >= 0; i-- {
		if x := xs[i]; x.dark && x.u < to-1 {
			pos[last], w0r = x.u, (to-x.u)/3.5
			break
		}
	}
	// from the left (top) finder
	w := w0l
	for k := first + 1; k <= last && !math.IsNaN(fromLeft[first]); k++ {
		u, ok := nearest(fromLeft[k-1]+w, 0.45*w, k%2 == 0)
		if !ok {
			break
		}
		w = min(max(u-fromLeft[k-1], 0.3), 2)
		fromLeft[k] = u
	}
	// from the right (bottom) finder
	w = w0r
	kr := last + 1
	if !math.IsNaN(pos[last]) {
		kr = last
	}
	for k := last - 1; k >= first && kr == k+1; k-- {
		u, ok := nearest(pos[k+1]-w, 0.45*w, k%2 == 0)
		if !ok {
			break
		}
		w = min(max(pos[k+1]-u, 0.3), 2)
		pos[k], kr = u, k
	}
	agree, met := true, false
	for k := kr; k <= last; k++ {
		if !math.IsNaN(fromLeft[k]) {
			met = true
			if math.Abs(fromLeft[k]-pos[k]) > 0.3 {
				agree = false
			}
		}
	}
	complete = agree && met
	third := (last - first) / 3
	for k := first; k <= last; k++ {
		u := fromLeft[k]
		if math.IsNaN(u) || (!agree && k > first+third) {
			u = pos[k]
			if !agree && k < last-third {
				continue
			}
		}
		if math.IsNaN(u) {
			continue
		}
		q := back(pt(u))
		if row {
			obs = append(obs, localObs{float64(k), 6.5, q.X - float64(k)})
		} else {
			obs = append(obs, localObs{6.5, float64(k), q.Y - float64(k)})
		}
	}
	return obs, true, complete
}
