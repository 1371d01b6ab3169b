package qrdecode

import (
	"math"
	"sort"
)

// The grid sampling's third look (tryGrid): a finder scan for small
// codes whose patterns the scan of finder.go misses or misplaces.
//
// At about 2 px a module that scan loses turned patterns and misplaces
// upright ones, both through whole pixels:
//
//   - A pattern turned 35-45° (a version 7 code drawn at 1.9-2.1 px a
//     module tilted away, the far finders at 1.4-1.5 px) shows each ring
//     as a run of 1-3 px along a row, so the odd rows the scan reads
//     cross it as 3:2:6:2:2 or 2:3:4:2:2 (a narrow run 0.6-0.65 of a
//     module off, over the scan's 0.6), and where a row passes, the column
//     through the centre it computes does not confirm while the next one
//     does.
//   - An upright pattern of 1.7-1.9 px modules matches first on the row
//     at the top edge of its centre square; the scan keeps that row (the
//     next rows are the same pattern), 2 px above the centre, and
//     refineCentre's window from there takes in the outer ring above and
//     settles there (version 7 at 2.3-2.6 px 0°: the top finders 2 px,
//     a module, off; nothing read).
//
// So this scan reads every row, takes narrow runs within gridLooseTol
// tenths of a module, confirms a hit on the column or a diagonal
// through its centre or the pixel either side, and keeps each pattern
// as the middle of the rows that showed it (at least gridLooseRows),
// with their mean width. The gridLoosePatterns most like a finder at
// any turn (finderLike, which also corrects a turned pattern's row
// chord to its width) form the triples, and those of modules under
// gridSmallModule px that the first looks did not read are read. It
// runs only where the first two looks read nothing, on a region that
// passed the camera mode's gate with modules under smallModule px (or in
// the thorough mode): it loosens the scan's test, so it finds more
// look-alikes, which the finder template and the decoder judge.

// gridLooseTol is the third look's tolerance of a pattern's narrow
// runs, in tenths of a module (finder.go's scan: 6).
const gridLooseTol = 8

// gridLooseTriangles is how many of the third look's finder triples
// are read (the first two looks read gridMaxTriangles): a look-alike
// in a small code's data, on a leg between two finders, can score above
// the true corner (version 7 at 2.1 and 2.3 px 20°: the true triple
// third and fourth).
const gridLooseTriangles = 4

// gridLooseCamera is how many of them the camera mode reads a frame,
// in turn from the best (d.looseTurn, back to the best when a sweep
// ends, as the deblurring's turn): a code held in view meets them all
// within four frames, and a frame whose small code stays unread pays
// for one.
const gridLooseCamera = 1

// gridLooseRows is the fewest rows that must show a pattern of the
// third look: a finder's centre square is 3 modules, 4 rows or more at
// 1.4 px a module; a look-alike in the data often shows on one or two.
const gridLooseRows = 3

// readLoose is tryGrid's third look at c (see above): of the triples of
// the patterns most like a finder (keep of the largest and of the
// squarest scored, as finderTriples does), those of modules under
// gridSmallModule px that tryGrid has not read (s.tried), the best
// gridLooseTriangles are read; in the camera mode gridLooseCamera of
// them a frame.
func (s *gridScratch) readLoose(d *Decoder, c Gray, keep int) string {
	cs, ws := s.looseFinders(c)
	cs, ws = mostFinderLike(c, cs, ws, gridLoosePatterns)
	var todo []finderTriple
	for _, t := range finderTriples(c, cs, ws, 2*gridLooseTriangles+len(s.tried), keep) {
		if t.width >= 7*gridSmallModule {
			continue // a code of larger modules: the scans above find them
		}
		t.tl = refineCentre(c, t.tl, t.widths[0])
		t.tr = refineCentre(c, t.tr, t.widths[1])
		t.bl = refineCentre(c, t.bl, t.widths[2])
		if !s.wasTried(t) {
			todo = append(todo, t)
			s.tried = append(s.tried, t)
		}
		if len(todo) == gridLooseTriangles {
			break
		}
	}
	if !d.Thorough && len(todo) > gridLooseCamera {
		k := d.looseTurn % len(todo)
		d.looseTurn += gridLooseCamera
		sel := make([]finderTriple, 0, gridLooseCamera)
		for i := range gridLooseCamera {
			sel = append(sel, todo[(k+i)%len(todo)])
		}
		todo = sel
	}
	for _, t := range todo {
		s.phase, s.local = false, d.Thorough
		if txt := s.readTriple(d, c, t, false); txt != "" {
			return txt
		}
	}
	return ""
}

// wasTried reports whether tryGrid read a triple with t's corners (within
// a pixel) already.
func (s *gridScratch) wasTried(t finderTriple) bool {
	for _, u := range s.tried {
		if u.tl.near(t.tl, 1) && u.tr.near(t.tr, 1) && u.bl.near(t.bl, 1) {
			return true
		}
	}
	return false
}

// looseHit is one pattern of the third look: the rows y0 to y1 that
// showed it, its centre's x and its width summed over them.
type looseHit struct {
	y0, y1, n, xs, ws int
}

// looseFinders scans every row of c for finder patterns of gridMinSmall
// px and more (see above) and returns up to finderMaxFound of them, those
// shown by the most rows first.
func (s *gridScratch) looseFinders(c Gray) (centres []Point, widths []int) {
	if !c.valid() || c.W < 7 || c.H < 7 {
		return nil, nil
	}
	fs := &s.finders
	fs.minTotal = gridMinSmall
	f := fs.scan(c, Rect{0, 0, c.W, c.H})
	fs.minTotal = 0
	hits := s.loose[:0]
	add := func(x, y, w int) {
		for i := range hits {
			h := &hits[i]
			hw, hx := h.ws/h.n, h.xs/h.n
			lo, hi := min(w, hw), max(w, hw)
			if y-h.y1 <= 2 && 5*hi <= 8*lo && 2*abs(x-hx) < lo {
				h.y1, h.n, h.xs, h.ws = y, h.n+1, h.xs+x, h.ws+w
				return
			}
		}
		hits = append(hits, looseHit{y, y, 1, x, w})
	}
	var runs [5]int
	n := 0 // runs completed before the current one
	dark := false
	// end is called when the current run (runs[4]) ends before x in row
	// y and the next one is d: a dark run may end a pattern
	end := func(x, y int, d bool) {
		if dark && n >= 4 && ratioTolOK(runs, gridMinSmall, gridLooseTol) {
			total := runs[0] + runs[1] + runs[2] + runs[3] + runs[4]
			cx := x - runs[4] - runs[3] - runs[2]/2 - 1
			for _, dx := range [3]int{0, -1, 1} {
				if looseConfirm(&f, cx+dx, y, total) {
					add(cx+dx, y, total)
					break
				}
			}
		}
		copy(runs[:4], runs[1:])
		n++
		runs[4], dark = 0, d
	}
	for y := 0; y < c.H; y++ {
		row := c.Pix[y*c.W : (y+1)*c.W]
		by := (y / finderBlock) * f.bw
		trow, frow := f.thr[by:by+f.bw], f.flat[by:by+f.bw]
		n, runs, dark = 0, [5]int{}, row[0] < trow[0]
		for b, t := range trow {
			x0, x1 := b*finderBlock, min((b+1)*finderBlock, c.W)
			if frow[b] {
				// a flat neighbourhood holds no edge: one colour, one step
				if d := row[x0] < t; d != dark {
					end(x0, y, d)
				}
				runs[4] += x1 - x0
				continue
			}
			for x := x0; x < x1; x++ {
				if d := row[x] < t; d != dark {
					end(x, y, d)
				}
				runs[4]++
			}
		}
		end(c.W, y, false)
	}
	s.loose = hits
	// the patterns shown by gridLooseRows rows or more, the most first
	keep := hits[:0:0]
	for _, h := range hits {
		if h.n >= gridLooseRows {
			keep = append(keep, h)
		}
	}
	sortHits(keep)
	for _, h := range keep[:min(len(keep), finderMaxFound)] {
		centres = append(centres, Point{(h.xs + h.n/2) / h.n, (h.y0 + h.y1) / 2})
		widths = append(widths, (h.ws+h.n/2)/h.n)
	}
	return centres, widths
}

// sortHits orders hits by the rows that showed them, the most first (a
// stable insertion sort: a region holds a few dozen).
func sortHits(hits []looseHit) {
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].n > hits[j-1].n; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

// gridLoosePatterns is how many of the third look's patterns, those
// most like a finder (finderLike), go to finderTriples: of its 40 the
// triples of look-alikes in the code's data and round its corner are
// larger than the finders' and some squarer, and crowded the true
// triple out of finderTriples' choice.
const gridLoosePatterns = 16

// finderLike is how well a finder pattern of width w (px, a row's
// chord) centred at p shows whatever its turn, finderScore at the best of
// six turns (15° apart) and of the widths finderTriples tries, and the
// width (px) that fits best.
func finderLike(c Gray, p fpt, w float64) (score, width float64) {
	score = math.Inf(-1)
	for a := 0; a < 90; a += 15 {
		sin, cos := math.Sincos(float64(a) * math.Pi / 180)
		for _, f := range [3]float64{1, 0.85, 0.71} {
			m := f * w / 7
			if sc := finderScore(c, p, fpt{cos * m, sin * m}, fpt{-sin * m, cos * m}); sc > score {
				score, width = sc, f*w
			}
		}
	}
	return score, width
}

// mostFinderLike keeps the n of the patterns (cs, ws) in c that are
// most finderLike, in their order, each with the width that fitted best
// (a turned pattern's row chord is up to √2 its width).
func mostFinderLike(c Gray, cs []Point, ws []int, n int) ([]Point, []int) {
	sc := make([]float64, len(cs))
	fw := make([]int, len(cs))
	for i, p := range cs {
		s, w := finderLike(c, pointOf(p), float64(ws[i]))
		sc[i], fw[i] = s, int(math.Round(w))
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sc[order[a]] > sc[order[b]] })
	keep := order[:min(n, len(order))]
	sort.Ints(keep)
	oc, ow := make([]Point, 0, n), make([]int, 0, n)
	for _, i := range keep {
		oc, ow = append(oc, cs[i]), append(ow, fw[i])
	}
	return oc, ow
}

// looseConfirm is finderScan.confirm with narrow runs within
// gridLooseTol tenths of a module (finder.go's scan, the camera gate's,
// stays as it is). A copy on purpose: confirm, cross and ratioMinOK
// folded with the tolerance as a parameter made the gate's empty frames
// 2-6 % slower (BenchmarkReject, quiet and interleaved, 2026-12-05).
func looseConfirm(f *finderScan, x, y, total int) bool {
	ok := false
	for _, d := range [3][2]int{{0, 1}, {1, 1}, {1, -1}} {
		match, bar := looseCross(f, x, y, d[0], d[1], total)
		if bar {
			return false
		}
		ok = ok || match
	}
	return ok
}

// looseCross is finderScan.cross with the third look's tolerance.
func looseCross(f *finderScan, x, y, dx, dy, total int) (match, bar bool) {
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
	return ratioTolOK(runs, f.minTotal, gridLooseTol) && 2*t >= total && t <= 2*total, false
}

// ratioTolOK is ratioMinOK (finder.go) with each narrow run within
// tol10 tenths of a module of the module size.
func ratioTolOK(r [5]int, minTotal, tol10 int) bool {
	total := r[0] + r[1] + r[2] + r[3] + r[4]
	if total < minTotal {
		return false
	}
	tol := total * tol10 / 10 // in sevenths of a pixel, like 7*r[i]
	for _, i := range [4]int{0, 1, 3, 4} {
		if d := 7*r[i] - total; d < -tol || d > tol {
			return false
		}
	}
	d, ctol := 7*r[2]-3*total, total*15/10
	return d >= -ctol && d <= ctol
}
