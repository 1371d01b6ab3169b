package qrdecode

import "math"

// The camera gate's judgement over the finder scan (finder.go): whether
// three patterns sit like a code's finder patterns with a timing pattern
// between them, and whether a region is grain (Lag1).

// finderMaxSmall bounds the rows' small pattern hits the gate collects
// (a pattern shows on several rows).
const finderMaxSmall = 64

// smallTriangle reports whether a small pattern (ps, ws) and two others
// (small or not) sit like a code's finder patterns with both timing
// patterns between them (see triangle); it sets the hit.
func (f *finderScan) smallTriangle(pc []Point, pw []int, ps []Point, ws []int) bool {
	all := append(append([]Point(nil), pc...), ps...)
	allW := append(append([]int(nil), pw...), ws...)
	// each triple once, by its last pattern, a small one
	for k := len(pc); k < len(all); k++ {
		for i := 0; i < k; i++ {
			for j := i + 1; j < k; j++ {
				if f.triangle([3]Point{all[i], all[j], all[k]}, [3]int{allW[i], allW[j], allW[k]}, true) {
					return true
				}
			}
		}
	}
	return false
}

// Lag1 returns the correlation of horizontally neighbouring pixels in
// region r of g over every fourth row: near 1 for printed or
// photographed structure, near 0 for noise. A flat region gives 1.
func Lag1(g Gray, r Rect) float64 {
	if !g.valid() {
		return 1
	}
	r = clip(r, g)
	var n, sa, sb, saa, sbb, sab int64
	for y := r.Y; y < r.Y+r.H; y += 4 {
		row := g.Pix[y*g.W+r.X : y*g.W+r.X+r.W]
		var ra, rb, raa, rbb, rab int64
		for x := 0; x+1 < len(row); x++ {
			a, b := int64(row[x]), int64(row[x+1])
			ra, rb = ra+a, rb+b
			raa, rbb, rab = raa+a*a, rbb+b*b, rab+a*b
		}
		n += int64(max(len(row)-1, 0))
		sa, sb, saa, sbb, sab = sa+ra, sb+rb, saa+raa, sbb+rbb, sab+rab
	}
	if n == 0 {
		return 1
	}
	fn := float64(n)
	ma, mb := float64(sa)/fn, float64(sb)/fn
	va, vb := float64(saa)/fn-ma*ma, float64(sbb)/fn-mb*mb
	if va < 1 || vb < 1 {
		return 1
	}
	return (float64(sab)/fn - ma*mb) / math.Sqrt(va*vb)
}

// likelyCode is the camera mode's gate for region r of g: not grain, and
// three finder-like patterns placed like a code's, with a timing pattern
// (see codeTriangle). A code smeared by motion keeps its finder patterns
// but loses the 1-module alternation of its timing pattern; such a region
// passes when its gradients run along one direction (BlurDirection).
func (s *finderScratch) likelyCode(g Gray, r Rect) bool {
	s.stop = func(f *finderScan, c []Point, w []int) bool { return f.codeTriangle(c, w, true) }
	s.collect = true
	defer func() { s.stop, s.collect = nil, false }()
	s.find(g, r, finderMaxFound)
	if !s.stopped && !s.untimed {
		return false
	}
	// Most scenes stop above; noise needs the second look.
	if Lag1(g, r) < minLag1 {
		return false
	}
	if s.stopped {
		return true
	}
	_, aniso := blurDirection(g, r)
	return aniso <= maxAnisotropy
}

// codeTriangle reports whether three of the patterns, the last one among
// them, sit like a code's finder patterns: of similar width, one at the
// corner of two legs of similar length at roughly a right angle, each leg
// at least twice the patterns' width (14 modules, the smallest code's),
// and, when timing is set, a timing pattern (modules alternating dark and
// light) along one of the legs; or legs of gateShortLeg to gateLeg
// modules showing both of a version 1 code's timing patterns (a version 1
// code tilted or turned, since 2026-12-04's fourth pass). The bounds leave room for a code seen in
// perspective. A code's data holds look-alikes too, so any three of its
// patterns that pass will do.
func (f *finderScan) codeTriangle(c []Point, w []int, timing bool) bool {
	n := len(c) - 1
	if n < 2 || len(w) != len(c) {
		return false
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if f.triangle([3]Point{c[i], c[j], c[n]}, [3]int{w[i], w[j], w[n]}, timing) {
				return true
			}
		}
	}
	return false
}

// gateLeg is the least leg of the gate's triangle in modules (the
// patterns' mean width / 7): a code's finder centres are 14 modules
// apart or more. gateShortLeg is the least of a version 1 code's legs
// seen tilted or turned (a row crosses a turned pattern up to √2 wider,
// so its legs measure 10-14 such modules); a triangle with a leg under
// gateLeg passes only with both of a version 1 code's timing patterns
// (version1Timing), which no empty scene shows.
const (
	gateLeg      = 14
	gateShortLeg = 9
)

func (f *finderScan) triangle(pts [3]Point, w [3]int, timing bool) bool {
	lo, hi := min(w[0], w[1], w[2]), max(w[0], w[1], w[2])
	if 5*hi > 8*lo {
		return false
	}
	module := float64(w[0]+w[1]+w[2]) / 21
	for k := range 3 {
		o, p, q := pts[k], pts[(k+1)%3], pts[(k+2)%3]
		wo, wp, wq := w[k], w[(k+1)%3], w[(k+2)%3]
		ux, uy, vx, vy := float64(p.X-o.X), float64(p.Y-o.Y), float64(q.X-o.X), float64(q.Y-o.Y)
		lu, lv := math.Hypot(ux, uy), math.Hypot(vx, vy)
		if lu < gateShortLeg*module || lv < gateShortLeg*module || 3*lu > 5*lv || 3*lv > 5*lu {
			continue
		}
		// |cos| of the angle between the legs under cos 55° (90° ± 35°)
		if math.Abs(ux*vx+uy*vy)/(lu*lv) >= 0.57 {
			continue
		}
		if lu < gateLeg*module || lv < gateLeg*module {
			if timing && f.version1Timing(o, ux/lu, uy/lu, lu, vx/lv, vy/lv, lv) &&
				f.version1Timing(o, vx/lv, vy/lv, lv, ux/lu, uy/lu, lu) {
				if f.hit != nil {
					*f.hit = codeHit{o, p, q, module, lo < finderMinTotal, true}
				}
				return true
			}
			continue
		}
		if small := lo < finderMinTotal; small && (hi < finderMinTotal || !timing) {
			continue
		} else if small {
			// patterns under 10 px (a code tilted away at under 2 px a
			// module): both timing patterns, each at the module size of
			// its own leg's ends
			if f.timingLine(o, ux/lu, uy/lu, lu, vx/lv, vy/lv, float64(wo+wp)/14) &&
				f.timingLine(o, vx/lv, vy/lv, lv, ux/lu, uy/lu, float64(wo+wq)/14) {
				if f.hit != nil {
					*f.hit = codeHit{o, p, q, module, true, false}
				}
				return true
			}
			continue
		}
		if !timing {
			return true
		}
		if f.timingLine(o, ux/lu, uy/lu, lu, vx/lv, vy/lv, module) ||
			f.timingLine(o, vx/lv, vy/lv, lv, ux/lu, uy/lu, module) {
			if f.hit != nil {
				*f.hit = codeHit{o, p, q, module, false, false}
			}
			return true
		}
		*f.untimed = true
	}
	return false
}

// timingLine reports whether the line from the corner pattern at o along
// (ux, uy) for length l, 3 modules towards (vx, vy), alternates between
// dark and light about once a module between the two patterns' edges,
// as a code's timing pattern does (at least half of the expected changes:
// room for perspective and a blurred module).
func (f *finderScan) timingLine(o Point, ux, uy, l, vx, vy, module float64) bool {
	from, to := 5*module, l-5*module
	want := (to - from) / module
	if want < 3 {
		return false
	}
	changes, prev := 0, -1
	for t := from; t <= to; t += module / 2 {
		x := int(math.Round(float64(o.X-f.r.X) + t*ux + 3*module*vx))
		y := int(math.Round(float64(o.Y-f.r.Y) + t*uy + 3*module*vy))
		if x < 0 || y < 0 || x >= f.r.W || y >= f.r.H {
			return false
		}
		d := 0
		if f.dark(x, y) {
			d = 1
		}
		if prev >= 0 && d != prev {
			changes++
		}
		prev = d
	}
	return float64(changes) >= want/2
}

// version1Timing reports whether the line from the corner pattern at o
// along (ux, uy) shows a version 1 code's timing pattern, taking the leg
// (length l) for its 14 modules and the other (length lv, towards (vx,
// vy)) likewise: the seven modules from separator to separator 3 modules
// in (light, dark, light, dark, light, dark, light), each at its centre.
// The row scan's centres are a pixel or two off and perspective makes
// the modules near the corner smaller than the leg's mean, so the line
// is tried half a module either way along and across.
func (f *finderScan) version1Timing(o Point, ux, uy, l, vx, vy, lv float64) bool {
	m, n := l/14, lv/14
	for _, across := range [3]float64{3, 2.5, 3.5} {
		for _, along := range [3]float64{0, -0.5, 0.5} {
			if f.version1Line(o, ux*m, uy*m, vx*n, vy*n, along, across) {
				return true
			}
		}
	}
	return false
}

// version1Line reports whether the seven modules 4-10 modules along (ex,
// ey) from o, shifted by along modules, across modules along (fx, fy),
// alternate light, dark, …, light.
func (f *finderScan) version1Line(o Point, ex, ey, fx, fy, along, across float64) bool {
	for k := range 7 {
		t := float64(4+k) + along
		x := int(math.Round(float64(o.X-f.r.X) + t*ex + across*fx))
		y := int(math.Round(float64(o.Y-f.r.Y) + t*ey + across*fy))
		if x < 0 || y < 0 || x >= f.r.W || y >= f.r.H || f.dark(x, y) != (k%2 == 1) {
			return false
		}
	}
	return true
}
