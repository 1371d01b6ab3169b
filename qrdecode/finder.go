package qrdecode

import "math"

// Cheap rejection: most camera frames hold no code, and gozxing spends
// 3–60 ms on such a frame (binarising each region, chasing finder
// candidates through text, noise and clutter) before it gives up. Two
// tests on the raw region, each reading its pixels about once, decide
// whether a region is worth decoding in the camera mode:
//
//   - Finder patterns. Every QR code has three: nested squares whose
//     profile along any line through their centre is dark, light, dark,
//     light, dark in the ratio 1:1:3:1:1. FinderPatterns looks for that
//     profile along rows of a locally thresholded region and confirms it
//     along the column or a diagonal through the same centre, so a code at
//     a slant or smeared by motion along a row still passes. A code also
//     shows the profile inside its data; text, photos, 1-D barcodes and
//     grids rarely show it at all.
//   - Grain. Sensor or random noise shows the profile everywhere, but its
//     neighbouring pixels are uncorrelated, while a code's modules span at
//     least 1.5 pixels (Lag1 ≥ 0.79 on every code of the test sets, about
//     0 on noise).

// Point is a pixel position in a frame.
type Point struct{ X, Y int }

const (
	finderBlock    = 8  // threshold block side in pixels
	finderMinRange = 24 // grey levels: a flatter neighbourhood uses the region's mid grey
	finderMinTotal = 10 // px across a pattern (1.4 px per module): smaller ones cannot be decoded
	finderRowStep  = 2  // rows scanned: the centre of a 1.5 px/module pattern spans 4
	// finderMaxFound bounds the patterns collected in a region while
	// looking for three placed like a code's: a code's data holds
	// look-alikes, noisy codes showed up to 30.
	finderMaxFound = 40
	// minLag1 is the neighbour correlation under which a region is grain.
	minLag1 = 0.3
)

// finderScratch is reusable memory for the scan.
type finderScratch struct {
	lo, hi, thr []uint8
	nlo, nhi    []uint8 // lo and hi over each block's neighbourhood
	flat        []bool
	// stop, when set, ends the scan as soon as it returns true for the
	// patterns found so far; stopped records that it did.
	stop    func(f *finderScan, centres []Point, widths []int) bool
	stopped bool
	// untimed records three patterns placed like a code's but without a
	// timing pattern between them.
	untimed bool
	// hit is the three patterns that stopped the scan (see codeHit).
	hit codeHit
	// frame, when it measured the frame scanned, gives the block extremes
	// (the region search's), so the scan need not read the region twice.
	frame *blockExtremes
	// minTotal, when not 0, is the least width of a pattern in px instead
	// of finderMinTotal (the grid sampling's second look, grid.go).
	minTotal int
	// collect (the camera mode's gate) makes the scan keep the row hits
	// of patterns of gridMinSmall to finderMinTotal px in small and
	// smallW, apart from the others: they are confirmed and judged only
	// when the others stopped nothing, in a triangle with one of them
	// (smallTriangle), so the gate decides as before on everything else
	// and an empty frame pays next to nothing for them.
	collect bool
	small   []Point
	smallW  []int
}

// FinderPatterns returns the centres of up to limit distinct places in
// region r of g that look like a QR finder pattern, each with its width.
func FinderPatterns(g Gray, r Rect, limit int) (centres []Point, widths []int) {
	var s finderScratch
	return s.find(g, r, limit)
}

func (s *finderScratch) find(g Gray, r Rect, limit int) (centres []Point, widths []int) {
	if !g.valid() || limit <= 0 {
		return nil, nil
	}
	r = clip(r, g)
	if r.W < 7 || r.H < 7 {
		return nil, nil
	}
	f := s.scan(g, r)
	s.stopped, s.untimed, s.hit = false, false, codeHit{}
	var runs [5]int
	n := 0 // runs completed before the current one
	s.small, s.smallW = s.small[:0], s.smallW[:0]
	rowMin := f.minTotal
	if s.collect {
		rowMin = min(rowMin, gridMinSmall)
	}
	// endRun is called when the current run (runs[4]) ends before x in row
	// y; it reports whether the scan is done.
	endRun := func(x, y int) bool {
		if n >= 4 && ratioMinOK(runs, rowMin) {
			total := runs[0] + runs[1] + runs[2] + runs[3] + runs[4]
			cx := x - runs[4] - runs[3] - runs[2]/2 - 1
			c := Point{r.X + cx, y}
			if total < f.minTotal {
				// a small pattern, kept apart and confirmed only if it is
				// needed (see finderScratch.small)
				if len(s.small) < finderMaxSmall {
					s.small, s.smallW = append(s.small, c), append(s.smallW, total)
				}
			} else if f.confirm(cx, y-r.Y, total) && !near(centres, widths, c, total) {
				centres, widths = append(centres, c), append(widths, total)
				if s.stop != nil && s.stop(&f, centres, widths) {
					s.stopped = true
					return true
				}
				if len(centres) == limit {
					return true
				}
			}
		}
		copy(runs[:4], runs[1:])
		n++
		return false
	}
	for y := r.Y + 1; y < r.Y+r.H; y += finderRowStep {
		row := g.Pix[y*g.W+r.X : y*g.W+r.X+r.W]
		by := ((y - r.Y) / finderBlock) * f.bw
		trow, frow := f.thr[by:by+f.bw], f.flat[by:by+f.bw]
		// runs[4] is the current run; a pattern ends on a dark run, and
		// runs alternate, so runs[0] is dark too.
		n = 0
		dark := row[0] < trow[0]
		runs = [5]int{}
		for b, t := range trow {
			x0, x1 := b*finderBlock, min((b+1)*finderBlock, r.W)
			if frow[b] {
				// a flat neighbourhood holds no edge: one colour, one step
				if d := row[x0] < t; d != dark {
					if dark && endRun(x0, y) {
						return centres, widths
					} else if !dark {
						copy(runs[:4], runs[1:])
						n++
					}
					runs[4], dark = 0, d
				}
				runs[4] += x1 - x0
				continue
			}
			for x := x0; x < x1; x++ {
				if d := row[x] < t; d != dark {
					if dark && endRun(x, y) {
						return centres, widths
					} else if !dark {
						copy(runs[:4], runs[1:])
						n++
					}
					runs[4], dark = 0, d
				}
				runs[4]++
			}
		}
		if dark && endRun(r.W, y) {
			return centres, widths
		}
	}
	if s.collect && len(s.small) > 0 && len(centres) > 0 && !s.stopped {
		// a small pattern's triangle needs one of 10 px or more
		base, k := f.minTotal, 0
		f.minTotal = gridMinSmall
		for i, c := range s.small {
			if w := s.smallW[i]; !near(s.small[:k], s.smallW[:k], c, w) && f.confirm(c.X-r.X, c.Y-r.Y, w) {
				s.small[k], s.smallW[k] = c, w
				k++
			}
		}
		f.minTotal = base
		s.small, s.smallW = s.small[:k], s.smallW[:k]
		s.stopped = f.smallTriangle(centres, widths, s.small, s.smallW)
	}
	return centres, widths
}

// finderScan is a region and its per-block thresholds: the middle of the
// grey range of the block's 3×3 neighbourhood, or the region's middle grey
// where that neighbourhood is flat (inside a large module).
type finderScan struct {
	g      Gray
	r      Rect
	bw, bh int
	thr    []uint8
	flat   []bool // the block's neighbourhood is flat: thr is the region's mid grey
	// untimed and hit are set by triangle (see finderScratch).
	untimed *bool
	hit     *codeHit
	// minTotal is the least width of a pattern in px (finderMinTotal but
	// for the grid sampling's second look).
	minTotal int
}

// codeHit is three finder patterns placed like a code's, with a timing
// pattern: the corner one, the two at the ends of the legs, and the module
// size their widths give (0: none found).
type codeHit struct {
	o, p, q Point
	module  float64
	small   bool // one of them is under finderMinTotal px across
	// short: legs under 14 modules by the patterns' widths, passed as a
	// version 1 code's (see triangle)
	short bool
}

// box returns the region around the code the patterns of h belong to: a
// square on the middle of the parallelogram they span, reaching twice its
// longer leg and 8 modules from it. The patterns may be look-alikes in the
// code's data rather than its finders (legs of 14 modules or more), so
// the box is made for the largest code around them, not the one they span.
func (h codeHit) box() Rect {
	cx, cy := (h.p.X+h.q.X)/2, (h.p.Y+h.q.Y)/2
	leg := max(math.Hypot(float64(h.p.X-h.o.X), float64(h.p.Y-h.o.Y)),
		math.Hypot(float64(h.q.X-h.o.X), float64(h.q.Y-h.o.Y)))
	m := int(2*leg + 8*h.module)
	return Rect{cx - m, cy - m, 2 * m, 2 * m}
}

func (s *finderScratch) scan(g Gray, r Rect) finderScan {
	bw, bh := (r.W+finderBlock-1)/finderBlock, (r.H+finderBlock-1)/finderBlock
	s.lo, s.hi, s.thr = grow(s.lo, bw*bh), grow(s.hi, bw*bh), grow(s.thr, bw*bh)
	if cap(s.flat) < bw*bh {
		s.flat = make([]bool, bw*bh)
	}
	s.flat = s.flat[:bw*bh]
	lo, hi, thr, flat := s.lo, s.hi, s.thr, s.flat
	if e := s.frame; e != nil && e.of(g) && r.X%extBlock == 0 && r.Y%extBlock == 0 {
		// the region search's blocks (regions start on its grid): the
		// region is not read a second time
		x0, y0 := r.X/extBlock, r.Y/extBlock
		for by := 0; by < bh; by++ {
			copy(lo[by*bw:(by+1)*bw], e.lo[(y0+by)*e.bw+x0:])
			copy(hi[by*bw:(by+1)*bw], e.hi[(y0+by)*e.bw+x0:])
		}
	} else {
		regionExtremes(g, r, bw, lo, hi)
	}
	var gl, gh uint8 = 255, 0
	top := 0 // the widest block range
	for i := range lo {
		gl, gh = min(gl, lo[i]), max(gh, hi[i])
		top = max(top, int(hi[i])-int(lo[i]))
	}
	// A neighbourhood under flatRange is flat: finderMinRange, or in a
	// faint region half its widest block range (a code of 20 grey levels
	// under finderMinRange was stepped over whole), not under
	// regionMinRange.
	flatRange := min(finderMinRange, max(regionMinRange, top/2))
	mid := uint8((int(gl) + int(gh) + 1) / 2)
	// the 3×3-block neighbourhood's extremes, separably: along rows into
	// nlo/nhi, then down the columns
	s.nlo, s.nhi = grow(s.nlo, bw*bh), grow(s.nhi, bw*bh)
	nlo, nhi := s.nlo, s.nhi
	for by := 0; by < bh; by++ {
		l, h := lo[by*bw:(by+1)*bw], hi[by*bw:(by+1)*bw]
		ol, oh := nlo[by*bw:(by+1)*bw], nhi[by*bw:(by+1)*bw]
		for bx := range l { // in int: conditional moves, not branches
			a, b := max(bx-1, 0), min(bx+1, bw-1)
			ol[bx] = uint8(min(int(l[a]), int(l[bx]), int(l[b])))
			oh[bx] = uint8(max(int(h[a]), int(h[bx]), int(h[b])))
		}
	}
	for by := 0; by < bh; by++ {
		up, dn := max(by-1, 0)*bw, min(by+1, bh-1)*bw
		for bx := 0; bx < bw; bx++ {
			i := by*bw + bx
			l := min(int(nlo[up+bx]), int(nlo[i]), int(nlo[dn+bx]))
			h := max(int(nhi[up+bx]), int(nhi[i]), int(nhi[dn+bx]))
			flat[i] = h-l < flatRange
			if flat[i] {
				thr[i] = mid
			} else {
				thr[i] = uint8((l + h + 1) / 2)
			}
		}
	}
	minTotal := finderMinTotal
	if s.minTotal > 0 {
		minTotal = s.minTotal
	}
	return finderScan{g: g, r: r, bw: bw, bh: bh, thr: thr, flat: flat, untimed: &s.untimed, hit: &s.hit, minTotal: minTotal}
}

// regionExtremes writes the grey extremes of each finderBlock block of
// region r of g to lo and hi (bw blocks a row), over every fourth row: the
// thresholds need not be exact (each is taken over a 3×3-block
// neighbourhood, six sampled rows).
func regionExtremes(g Gray, r Rect, bw int, lo, hi []uint8) {
	for i := range lo {
		lo[i], hi[i] = 255, 0
	}
	for y := 0; y < r.H; y += 4 {
		row := g.Pix[(r.Y+y)*g.W+r.X : (r.Y+y)*g.W+r.X+r.W]
		blo, bhi := lo[(y/finderBlock)*bw:], hi[(y/finderBlock)*bw:]
		for b := 0; b < bw; b++ {
			l, h := blo[b], bhi[b]
			for _, p := range row[b*finderBlock : min((b+1)*finderBlock, r.W)] {
				l, h = min(l, p), max(h, p)
			}
			blo[b], bhi[b] = l, h
		}
	}
}

// dark reports whether the pixel at (x, y), relative to the region, is
// below its threshold.
func (f *finderScan) dark(x, y int) bool {
	return f.g.Pix[(f.r.Y+y)*f.g.W+f.r.X+x] < f.thr[(y/finderBlock)*f.bw+x/finderBlock]
}

// confirm reports whether the column through (x, y) or one of the two
// diagonals crosses a 1:1:3:1:1 pattern of a width close to total (the
// row's), and none of the three runs along a dark centre longer than the
// row's whole pattern: a finder's centre is a compact square, while the
// bars of a 1-D barcode show the profile across them and run on along
// them.
func (f *finderScan) confirm(x, y, total int) bool {
	ok := false
	for _, d := range [3][2]int{{0, 1}, {1, 1}, {1, -1}} {
		match, bar := f.cross(x, y, d[0], d[1], total)
		if bar {
			return false
		}
		ok = ok || match
	}
	return ok
}

// cross walks from (x, y) both ways along (dx, dy) through the dark
// centre, the light ring and the outer dark ring, and checks the ratio of
// the five runs; bar reports a centre longer than total.
func (f *finderScan) cross(x, y, dx, dy, total int) (match, bar bool) {
	if !f.dark(x, y) {
		return false, false
	}
	limit := total
	if dx != 0 && dy != 0 {
		limit = total * 10 / 14 // a diagonal step is √2 pixels long
	}
	var runs [5]int
	runs[2] = 1
	okF, barF := f.walk(x, y, dx, dy, limit, &runs, [3]int{2, 3, 4})
	okB, barB := f.walk(x, y, -dx, -dy, limit, &runs, [3]int{2, 1, 0})
	if barF || barB || runs[2] > limit {
		return false, true
	}
	if !okF || !okB {
		return false, false
	}
	t := runs[0] + runs[1] + runs[2] + runs[3] + runs[4]
	if dx != 0 && dy != 0 {
		t = t * 14 / 10
	}
	return ratioMinOK(runs, f.minTotal) && 2*t >= total && t <= 2*total, false
}

// walk steps from (x, y) along (dx, dy), adding to runs[idx[0]] while
// dark, then runs[idx[1]] while light, then runs[idx[2]] while dark. It
// fails when a run grows longer than limit (bar when that run is the
// centre).
func (f *finderScan) walk(x, y, dx, dy, limit int, runs *[5]int, idx [3]int) (ok, bar bool) {
	state := 0
	for {
		x, y = x+dx, y+dy
		if x < 0 || y < 0 || x >= f.r.W || y >= f.r.H {
			return state == 2, false // the outer ring may touch the region's edge
		}
		if f.dark(x, y) != (state != 1) {
			state++
			if state == 3 {
				return true, false
			}
		}
		runs[idx[state]]++
		if runs[idx[state]] > limit {
			return false, state == 0
		}
	}
}

// ratioOK reports whether five run lengths are in the ratio 1:1:3:1:1,
// loosely: each narrow run within 0.6 of a module of the module size, the
// centre within 1.5 modules of three (zxing allows 0.5 and 1.5).
func ratioOK(r [5]int) bool { return ratioMinOK(r, finderMinTotal) }

// ratioMinOK is ratioOK for patterns at least minTotal px across.
func ratioMinOK(r [5]int, minTotal int) bool {
	total := r[0] + r[1] + r[2] + r[3] + r[4]
	if total < minTotal {
		return false
	}
	tol := total * 6 / 10 // in sevenths of a pixel, like 7*r[i]
	for _, i := range [4]int{0, 1, 3, 4} {
		if d := 7*r[i] - total; d < -tol || d > tol {
			return false
		}
	}
	d, ctol := 7*r[2]-3*total, total*15/10
	return d >= -ctol && d <= ctol
}

// near reports whether c, of width w, lies within half a width of a
// centre of similar width already found (the same pattern, met again on
// the next rows). A wide look-alike must not hide a real pattern inside it.
func near(centres []Point, widths []int, c Point, w int) bool {
	for i, p := range centres {
		lo, hi := min(w, widths[i]), max(w, widths[i])
		if 5*hi <= 8*lo && 2*abs(p.X-c.X) < lo && 2*abs(p.Y-c.Y) < lo {
			return true
		}
	}
	return false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
