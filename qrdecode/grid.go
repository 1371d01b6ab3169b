package qrdecode

import (
	"math"
	"slices"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Grid sampling of our own, for codes gozxing's detector misses: seen in
// perspective at about 2 px per module, tilted, on a cylinder or on
// wrinkled paper. gozxing finds the finder patterns on a binarised image
// and samples each module at one whole pixel of it; at 2 px per module one
// pixel off is half a module, and on a curved surface no single
// homography fits the whole code.
//
// Here the finder patterns come from our own scan (finder.go), their
// centres are refined to a fraction of a pixel, the alignment pattern is
// found by matching its 5×5-module template, and a homography maps module
// centres into the crop. The module values are read with bilinear
// interpolation and thresholded locally (against the mean of their 9×9
// module neighbourhood). A curved code then gets a mesh correction:
// every alignment pattern and the timing patterns are located near where
// the homography puts them, and each module is moved by the displacement
// interpolated from them. gozxing's decoder reads the bit matrix (format,
// version, Reed–Solomon).

// gridMaxTriangles bounds the finder triples tried per region (the
// warped set and the deblurred motion frames read at the first or the
// second; a third read none more and cost a frame without a readable
// code a third more). Of the triples placed like a code's, the
// gridMaxScored largest and as many of the squarest are matched against
// the template to choose them (a tilted code's legs differ, so squareness
// alone let data look-alikes crowd its finders out).
const (
	gridMaxTriangles = 2
	gridMaxScored    = 24
)

// gridScratch is the reusable memory of the grid sampling.
type gridScratch struct {
	finders finderScratch
	vals    []float32
	sum     []float32
	rect    []float32 // phaseMesh's resampled code
	corners []fpt     // and its map at the module corners
	phase   bool      // readTriple may try the phase mesh
	local   bool      // and the local grid (gridlocal.go)
	// version1 makes readTriple search a version 1 code's fourth
	// corner (readVersion1): the thorough mode's short-legged triples
	version1 bool
	dec      *decoder.Decoder
	loose    []looseHit     // the third look's patterns (gridscan.go)
	tried    []finderTriple // the triples tryGrid read, refined
}

// finderTriple is three finder patterns placed like a code's: tl at the
// corner, tr and bl at the ends of its legs (tr → bl turns clockwise in
// image coordinates), and their mean width in pixels (7 modules) and
// each one's.
type finderTriple struct {
	tl, tr, bl fpt
	width      float64
	widths     [3]float64 // of tl, tr, bl
}

// tryGrid reads c (a contrast-stretched crop) through our own grid
// sampling; it returns the text or "". square says the code is seen
// about square-on (a deblurred motion frame): the alignment pattern is
// looked for near the parallelogram's corner only, at one module size, a
// fifth of the search.
func (d *Decoder) tryGrid(c Gray, square bool) string {
	s := &d.grid
	cs, ws := s.finders.find(c, Rect{0, 0, c.W, c.H}, finderMaxFound)
	keep := gridMaxScored
	if square {
		keep /= 2 // a deblurred code seen about square-on: its finders are among the squarest and largest
	}
	triples := finderTriples(c, cs, ws, gridMaxTriangles, keep)
	// the camera mode's one phase mesh a frame (see readTriple) goes to
	// each triple in turn, frame after frame
	phaseFor := -1
	if !square && d.phaseMeshes == 0 && len(triples) > 0 {
		phaseFor = d.phaseTurn % len(triples)
		d.phaseTurn++
	}
	s.tried = s.tried[:0]
	for i, t := range triples {
		t.tl = refineCentre(c, t.tl, t.widths[0])
		t.tr = refineCentre(c, t.tr, t.widths[1])
		t.bl = refineCentre(c, t.bl, t.widths[2])
		s.tried = append(s.tried, t)
		s.phase = !square && (d.Thorough || i == phaseFor)
		s.local = s.phase
		if txt := s.readTriple(d, c, t, square); txt != "" {
			return txt
		}
	}
	if m := d.finders.hit.module; (d.Thorough || d.finders.hit.small || (m > 0 && m < gridSmallModule)) && !square {
		// A second look for patterns down to gridMinSmall px across (1.1
		// px a module): a code tilted away at under 2 px a module shows
		// its far finder patterns narrower than the scan's 10 px (drawn
		// version 7 codes at 1.8 px a module, 1.3 at the far edge). The
		// thorough mode pays for it only where nothing read; the camera
		// mode only when its gate passed on such a pattern (hit.small),
		// or on a triangle of patterns under gridSmallModule px a module:
		// at 1.6-1.8 px a module the gate often passes on 10 px
		// look-alikes in the code's data, and the far finders are still
		// under 10 px. A frame without anything code-like never gets
		// here (the gate), nor does a code of larger modules.
		s.finders.minTotal = gridMinSmall
		cs2, ws2 := s.finders.find(c, Rect{0, 0, c.W, c.H}, finderMaxFound)
		s.finders.minTotal = 0
		if len(cs2) > len(cs) {
			cs, ws = cs2, ws2 // for the version 1 look below too
			for _, t := range finderTriples(c, cs2, ws2, gridMaxTriangles, keep) {
				t.tl = refineCentre(c, t.tl, t.widths[0])
				t.tr = refineCentre(c, t.tr, t.widths[1])
				t.bl = refineCentre(c, t.bl, t.widths[2])
				s.tried = append(s.tried, t)
				s.phase, s.local = true, d.Thorough
				if txt := s.readTriple(d, c, t, square); txt != "" {
					return txt
				}
			}
		}
	}
	if (d.Thorough || d.finders.hit.short) && !square {
		// A version 1 code tilted or turned: its legs are too short for
		// finderTriples (see finderTriplesLeg). The camera mode only when
		// its gate passed on such a triangle with a version 1 code's
		// timing patterns (hit.short): other frames, an unread larger
		// code's included, do not pay for it.
		for _, t := range finderTriplesLeg(c, cs, ws, gridMaxTriangles, keep, true) {
			t.tl = refineCentre(c, t.tl, t.widths[0])
			t.tr = refineCentre(c, t.tr, t.widths[1])
			t.bl = refineCentre(c, t.bl, t.widths[2])
			s.phase, s.local, s.version1 = false, false, true
			txt := s.readTriple(d, c, t, square)
			s.version1 = false
			if txt != "" {
				return txt
			}
		}
	}
	if m := d.finders.hit.module; (d.Thorough || d.finders.hit.small || (m > 0 && m < smallModule)) && !square {
		// the third look (gridscan.go), for small codes whose finder
		// patterns the scans above lose or misplace
		return s.readLoose(d, c, keep)
	}
	return ""
}

// gridMinSmall is the least width in px of a finder pattern in the grid
// sampling's second look (see tryGrid).
const gridMinSmall = 8

// gridSmallModule is the module size (px, the camera gate's triangle's)
// under which the camera mode's grid sampling takes the second look for
// small patterns (see tryGrid): a code of 2.0 px a module tilted to 0.7
// shows 1.4 px at its far edge, its far finders 10 px across.
const gridSmallModule = 2.5

// bilinear samples g at p (clamped to the frame).
func bilinear(g Gray, p fpt) float32 {
	if math.IsNaN(p.X) || math.IsNaN(p.Y) {
		return 0 // a degenerate homography
	}
	x := min(max(p.X, 0), float64(g.W-1))
	y := min(max(p.Y, 0), float64(g.H-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, g.W-1), min(y0+1, g.H-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a, b := float32(g.Pix[y0*g.W+x0]), float32(g.Pix[y0*g.W+x1])
	c, d := float32(g.Pix[y1*g.W+x0]), float32(g.Pix[y1*g.W+x1])
	return (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
}

// gridFit is one guess at a code's geometry: its size in modules and
// the map from module coordinates (the top-left module's centre at 0.5,
// 0.5) to pixels of the crop, and how many of its timing modules alternate
// as they should.
type gridFit struct {
	dim    int
	h      homography
	timing int
}

func (f *gridFit) at(u, v float64) fpt {
	x, y := f.h.apply(u, v)
	return fpt{x, y}
}

// minModule is the least module size (px) of f's map, over the code's
// four corners, along both axes.
func (f *gridFit) minModule() float64 {
	e := float64(f.dim) - 0.5
	m := math.Inf(1)
	for _, p := range [4]fpt{{0.5, 0.5}, {e, 0.5}, {e, e}, {0.5, e}} {
		du, dv := 1.0, 1.0
		if p.X > 1 {
			du = -1
		}
		if p.Y > 1 {
			dv = -1
		}
		a := f.at(p.X, p.Y)
		m = min(m, a.dist(f.at(p.X+du, p.Y)), a.dist(f.at(p.X, p.Y+dv)))
	}
	return m
}

// gridPlainModule is the module size (px, the smallest of a guess's
// corners) under which a guess whose timing-corrected map did not read
// is sampled through its homography alone too: at 1.1-1.3 px a module
// the timing edges come out wrong by enough to spoil a map that reads
// without them (drawn version 7 codes tilted away at 1.6-1.7 px a
// module).
const gridPlainModule = 1.5

// gridMaxFits is how many of the best-fitting guesses are decoded.
const gridMaxFits = 2

// readTriple guesses the code's size from the finder distances (and one
// size either side) and its bottom-right corner (the alignment pattern's
// likeliest places, or the parallelogram's fourth corner), keeps the
// guesses whose timing patterns alternate best, and decodes those.
func (s *gridScratch) readTriple(d *Decoder, c Gray, t finderTriple, square bool) string {
	m := t.width / 7
	across := (t.tl.dist(t.tr) + t.tl.dist(t.bl)) / 2 / m // modules between centres
	v0 := int(math.Round((across + 7 - 17) / 4))
	if v0 < 0 || v0 > 41 {
		return "" // no code is that large: look-alikes far apart
	}
	// the finder patterns' width misjudges the module size by up to a
	// tenth (blur widens dark runs): sizes from a version under to two
	// over, judged by their timing patterns
	versions := make([]int, 0, 4)
	for _, v := range []int{v0, v0 + 1, v0 - 1, v0 + 2} {
		if v >= 1 && v <= 40 {
			versions = append(versions, v)
		}
	}
	if s.version1 {
		// the thorough mode's short-legged triples: a version 1 code
		// or nothing
		if !slices.Contains(versions, 1) {
			return ""
		}
		return s.readVersion1(d, c, t)
	}
	if !square && m < gridSmallModule {
		// A code tilted away at under 2 px a module shows its far finder
		// patterns 8 px across for 8.7 (whole pixels, thresholded), and
		// the near one's width is replaced by their median: the size
		// comes out two or three versions over (version 7 drawn at 1.7
		// px 0° and 2.2 px 0° gave 10 and 9, the fitted size below 8).
		// Those sizes are tried too; the timing patterns judge them
		// like the others.
		for _, v := range []int{v0 - 2, v0 - 3} {
			if v >= 1 {
				versions = append(versions, v)
			}
		}
		// In perspective at under 2 px a module the scan's widths (whole
		// pixels, a width far from the other two replaced by their
		// median) can put the size two versions off: the size from each
		// pattern's own module size fitted to the template, leg by leg,
		// is tried too (for small modules only: it costs ~4,600
		// interpolated samples).
		if v := fittedVersion(c, t); v >= 1 && v <= 40 && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	if !square {
		// a code round a tube: the sizes its timing patterns count
		versions = timingVersions(c, t, versions)
	}
	var fits []gridFit
	add := func(dim int, br, at fpt) {
		e := float64(dim) - 3.5
		f := gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, at, {3.5, e}}, [4]fpt{t.tl, t.tr, br, t.bl})}
		f.timing = s.timingFit(c, &f)
		fits = append(fits, f)
	}
	best := func() {
		sort.SliceStable(fits, func(a, b int) bool {
			// the share of timing modules right, sizes compared fairly
			return fits[a].timing*(fits[b].dim-16) > fits[b].timing*(fits[a].dim-16)
		})
	}
	// First the parallelogram's fourth corner: a code seen square-on (or
	// smeared by motion, deblurred) needs no more, and when its timing
	// patterns alternate almost everywhere it is decoded before the
	// alignment pattern search.
	for _, v := range versions {
		dim := 4*v + 17
		add(dim, t.tr.add(t.bl).sub(t.tl), fpt{float64(dim) - 3.5, float64(dim) - 3.5})
	}
	para := fits[0] // at the size the finder distances give
	paras := slices.Clone(fits)
	best()
	var tried *homography
	if f := fits[0]; 10*f.timing >= 9*2*(f.dim-16) {
		if txt := s.sampleDecode(d, c, f.dim, s.timingMesh(c, &f)); txt != "" {
			return txt
		}
		tried = &f.h
	}
	// The alignment pattern lies 3 modules in from the corner finder
	// patterns would make; a size off by a version or two moves that by
	// under a module, so one search, with the module size the finder
	// patterns show, serves every size tried.
	if n := float64(4*v0 + 10); v0 >= 2 {
		ux, uy := t.tr.sub(t.tl), t.bl.sub(t.tl)
		pred := t.tl.add(ux.scale((n - 3) / n)).add(uy.scale((n - 3) / n))
		var aps []fpt
		// at the module size of the finder patterns and at 4/5 of it (the
		// far corner of a code seen in perspective)
		scales, reach := []float64{1, 0.8, 1.25}, max(5, n/4)
		if square {
			scales, reach = scales[:1], 3
		}
		for _, k := range scales {
			ex, ey := ux.scale(k*m/t.tr.dist(t.tl)), uy.scale(k*m/t.bl.dist(t.tl))
			aps = append(aps, findAlignments(c, pred, ex, ey, reach, 3)...)
		}
		for _, v := range versions {
			if dim := 4*v + 17; v >= 2 {
				for _, ap := range aps {
					add(dim, ap, fpt{float64(dim) - 6.5, float64(dim) - 6.5})
				}
			}
		}
		best()
	}
	for i, n := 0, 0; i < len(fits) && n < gridMaxFits; i++ {
		f := &fits[i]
		if tried != nil && f.h == *tried {
			continue
		}
		n++
		if txt := s.sampleDecode(d, c, f.dim, s.timingMesh(c, f)); txt != "" {
			return txt
		}
		if !square && f.minModule() < gridPlainModule {
			// the timing edges of modules this small are located too
			// coarsely to correct the map: the homography alone
			if txt := s.sampleDecode(d, c, f.dim, f.at); txt != "" {
				return txt
			}
		}
		if !square && m < gridSmallModule && f.dim >= 25 {
			// The alignment search ran at the finders' module size (and
			// 4/5, 5/4 of it) around where the size from their widths
			// put it; at under 2 px a module that leaves the pattern 1.3-2
			// px (a module) off the true one, enough to spoil a guess of
			// the right size whose timing patterns fit all through.
			// Searched again within 1.5 modules of where this guess puts
			// it, at the module vectors the guess has there.
			e := float64(f.dim) - 6.5
			ap := f.at(e, e)
			ex, ey := f.at(e+1, e).sub(ap), f.at(e, e+1).sub(ap)
			if aps := findAlignments(c, ap, ex, ey, 1.5, 1); len(aps) > 0 && !aps[0].near(ap, 0.2) {
				g := gridFit{dim: f.dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {float64(f.dim) - 3.5, 3.5}, {e, e}, {3.5, float64(f.dim) - 3.5}}, [4]fpt{t.tl, t.tr, aps[0], t.bl})}
				if txt := s.sampleDecode(d, c, g.dim, g.at); txt != "" {
					return txt
				}
				if txt := s.sampleDecode(d, c, g.dim, s.timingMesh(c, &g)); txt != "" {
					return txt
				}
			}
		}
	}
	// Then a code on wrinkled paper: the module-edge phase mesh
	// (gridphase.go) on the parallelogram at the size the finder
	// distances give. The wrinkle moves the timing modules and the
	// alignment pattern, so the guesses that fit them best are the
	// wrong ones (w3-wrinkle: the two best put the corner 10-15 px
	// off), while the three finder centres still hold. Not for a
	// deblurred code (square): it is flat, and each deblurring attempt
	// would pay for it. The camera mode makes one a frame (s.phase,
	// set by tryGrid: the first code-shaped region that gets here, its
	// triples in turn from frame to frame), so a code that stays unread
	// pays for one, not for one per triple and region.
	if s.phase {
		d.phaseMeshes++
		if pm := s.phaseMesh(c, para.dim, s.timingMesh(c, &para)); pm != nil {
			if txt := s.sampleDecode(d, c, para.dim, pm); txt != "" {
				return txt
			}
		}
	}
	// Last, a code on a tube: the guesses' homographies corrected by a
	// smooth displacement fitted to the finder and timing edges and the
	// alignment patterns (gridlocal.go), from the best guess and the
	// parallelograms (a tube seen square-on is one: the alignment
	// guesses fitted to a tube's timing patterns put the corner modules
	// off), those whose timing fits best first. The camera mode tries
	// gridLocalFits of them on the triple that gets the phase mesh
	// (s.local), so a code that stays unread pays for those alone.
	if s.local {
		return s.readLocal(d, c, fits, paras)
	}
	return ""
}

// fittedVersion is the version the finder distances of t give with each
// pattern's module size fitted to the finder template along t's axes
// (0.6-1.5 of its width's), each leg at the mean of its two ends'.
func fittedVersion(c Gray, t finderTriple) int {
	ux, uy := t.tr.sub(t.tl), t.bl.sub(t.tl)
	lx, ly := math.Hypot(ux.X, ux.Y), math.Hypot(uy.X, uy.Y)
	if lx == 0 || ly == 0 {
		return 0
	}
	ux, uy = ux.scale(1/lx), uy.scale(1/ly)
	var ms [3]float64
	for k, p := range [3]fpt{t.tl, t.tr, t.bl} {
		best := math.Inf(-1)
		for f := 0.6; f <= 1.5; f += 0.05 {
			m := f * t.widths[k] / 7
			if sc := finderScore(c, p, ux.scale(m), uy.scale(m)); sc > best {
				best, ms[k] = sc, m
			}
		}
	}
	across := (lx/((ms[0]+ms[1])/2) + ly/((ms[0]+ms[2])/2)) / 2
	return int(math.Round((across + 7 - 17) / 4))
}

// timingFit counts the timing modules (row 6 and column 6, between the
// finder patterns) that are darker than both neighbours where they should
// be dark and lighter where they should be light.
func (s *gridScratch) timingFit(c Gray, f *gridFit) int {
	n := 0
	for _, row := range []bool{true, false} {
		prev, cur := float32(0), float32(0)
		for k := 7; k <= f.dim-8; k++ {
			u, v := float64(k)+0.5, 6.5
			if !row {
				u, v = v, u
			}
			p := f.at(u, v)
			if !p.in(c) {
				return 0
			}
			next := bilinear(c, p)
			if k >= 9 {
				dark := (k-1)%2 == 0
				if dark == (cur < prev && cur < next) && dark != (cur > prev && cur > next) {
					n++
				}
			}
			prev, cur = cur, next
		}
	}
	return n
}

// sampleDecode reads the dim×dim modules whose centres at(u, v) (module
// coordinates, the top-left module's centre at 0.5, 0.5) puts in c,
// thresholds them locally and decodes the bit matrix.
func (s *gridScratch) sampleDecode(d *Decoder, c Gray, dim int, at func(u, v float64) fpt) string {
	s.vals = growF(s.vals, dim*dim)
	vals := s.vals
	var total float64
	for i := 0; i < dim; i++ {
		for j := 0; j < dim; j++ {
			p := at(float64(j)+0.5, float64(i)+0.5)
			if !(p.X >= -1 && p.Y >= -1 && p.X <= float64(c.W) && p.Y <= float64(c.H)) {
				return "" // the grid leaves the crop: a wrong guess
			}
			vals[i*dim+j] = bilinear(c, p)
			total += float64(vals[i*dim+j])
		}
	}
	mid := float32(total / float64(dim*dim))
	// local threshold: the mean of the 9×9 modules around, averaged with
	// the code's mean (a run of dark modules must not become light)
	w := dim + 1
	s.sum = growF(s.sum, w*w)
	sum := s.sum
	for i := range w {
		sum[i] = 0
		sum[i*w] = 0
	}
	for i := 0; i < dim; i++ {
		var row float32
		for j := 0; j < dim; j++ {
			row += vals[i*dim+j]
			sum[(i+1)*w+j+1] = sum[i*w+j+1] + row
		}
	}
	bm, err := gozxing.NewSquareBitMatrix(dim)
	if err != nil {
		return ""
	}
	for i := 0; i < dim; i++ {
		i0, i1 := max(0, i-4), min(dim, i+5)
		for j := 0; j < dim; j++ {
			j0, j1 := max(0, j-4), min(dim, j+5)
			local := (sum[i1*w+j1] - sum[i0*w+j1] - sum[i1*w+j0] + sum[i0*w+j0]) / float32((i1-i0)*(j1-j0))
			if vals[i*dim+j] < (local+mid)/2 {
				bm.Set(j, i)
			}
		}
	}
	if s.dec == nil {
		s.dec = decoder.NewDecoder()
	}
	d.attempts++
	res, err := s.dec.Decode(bm, nil)
	if err != nil || res == nil {
		return ""
	}
	return res.GetText()
}

// readVersion1 reads t as a version 1 code (21 modules), which has no
// alignment pattern to fix its fourth corner: the parallelogram's corner
// of a code tilted away (the top 0.7 as wide as the bottom) lies 2-2.5
// modules off the true one, and nothing reads. The corner is searched
// within 3 modules of the parallelogram's, by the contrast of the
// sampled modules (their mean distance from the code's mean grey: a grid
// on the module centres samples them whole, a grid a module off samples
// their edges), a module apart, then half and a quarter module around
// the best; the best is decoded.
func (s *gridScratch) readVersion1(d *Decoder, c Gray, t finderTriple) string {
	const dim, e = 21, 21 - 3.5
	para := t.tr.add(t.bl).sub(t.tl)
	// a module at the corner: the legs' length over 14 modules
	m := (t.tl.dist(t.tr) + t.tl.dist(t.bl)) / 2 / (dim - 7)
	fit := func(br fpt) gridFit {
		return gridFit{dim: dim, h: quadToQuad([4]fpt{{3.5, 3.5}, {e, 3.5}, {e, e}, {3.5, e}}, [4]fpt{t.tl, t.tr, br, t.bl})}
	}
	best, bestSc := para, math.Inf(-1)
	for _, st := range [3]struct{ reach, by float64 }{{3, 1}, {0.5, 0.5}, {0.25, 0.25}} {
		centre := best
		for dy := -st.reach; dy <= st.reach; dy += st.by {
			for dx := -st.reach; dx <= st.reach; dx += st.by {
				br := centre.add(fpt{dx * m, dy * m})
				f := fit(br)
				if sc := s.moduleContrast(c, dim, f.at); sc > bestSc {
					best, bestSc = br, sc
				}
			}
		}
	}
	f := fit(best)
	if txt := s.sampleDecode(d, c, dim, f.at); txt != "" {
		return txt
	}
	return s.sampleDecode(d, c, dim, s.timingMesh(c, &f))
}

// moduleContrast is the mean distance of the dim×dim module centres'
// grey (at(u, v), bilinear) from their mean: highest when the grid lies
// on the module centres.
func (s *gridScratch) moduleContrast(c Gray, dim int, at func(u, v float64) fpt) float64 {
	s.vals = growF(s.vals, dim*dim)
	var total float64
	for i := 0; i < dim; i++ {
		for j := 0; j < dim; j++ {
			p := at(float64(j)+0.5, float64(i)+0.5)
			if !p.in(c) {
				return math.Inf(-1)
			}
			v := bilinear(c, p)
			s.vals[i*dim+j] = v
			total += float64(v)
		}
	}
	mean := total / float64(dim*dim)
	var sum float64
	for _, v := range s.vals[:dim*dim] {
		sum += math.Abs(float64(v) - mean)
	}
	return sum / float64(dim*dim)
}
