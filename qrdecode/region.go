package qrdecode

import "sort"

// Rect is a region of a frame in pixels.
type Rect struct{ X, Y, W, H int }

// Region search: a QR code is a compact blob of small blocks with a wide
// local grey range (dark modules beside light ones), while paper, shadows
// and lighting gradients are flat at that scale. Decoding a crop around
// each blob instead of the whole frame is what makes the enhancement steps
// affordable: a 2× upscale of a 250 px crop costs a fraction of one of the
// whole frame, and stretching the crop's own histogram fixes faint codes
// and codes under a shadow without touching the rest of the frame.
const (
	regionBlock    = 16 // block side in pixels
	regionMargin   = 2  // blocks added around a blob for the quiet zone
	regionMinRange = 12 // grey levels: below this a block is flat
	regionMinSide  = 2  // blocks: smaller blobs cannot hold a QR code
)

// Candidates returns up to max regions that may hold a QR code, largest
// first, and possibly one more around a dense blob (see coreRegion). When
// one blob covers most of the frame (a code filling the view, or a noisy
// frame), the whole frame is the only region.
func Candidates(g Gray, maxRegions int) []Rect {
	r, _, _ := candidates(g, maxRegions, nil)
	return r
}

// candidates is Candidates that also reports how many of the regions, at
// the front, are code-shaped (see codeShaped), and a flat frame (nothing
// printed in view, no decoding attempt worth making). ext, when not nil,
// keeps the frame's 8 px block extremes for the finder scan.
func candidates(g Gray, maxRegions int, ext *blockExtremes) (out []Rect, shaped int, flat bool) {
	if ext != nil {
		ext.pix = nil // frames come in reused buffers: never a stale measure
	}
	if !g.valid() || maxRegions <= 0 {
		return nil, 0, true
	}
	full := Rect{0, 0, g.W, g.H}
	bw, bh := (g.W+regionBlock-1)/regionBlock, (g.H+regionBlock-1)/regionBlock
	if bw < 4 || bh < 4 {
		return []Rect{full}, 1, false
	}
	if ext == nil {
		ext = new(blockExtremes)
	}
	ext.measure(g)
	ranges := ext.ranges(bw, bh)
	top := 0
	for _, r := range ranges {
		top = max(top, int(r))
	}
	thr := max(regionMinRange, top*2/5)
	if top < regionMinRange {
		return nil, 0, true
	}
	hot := make([]bool, bw*bh)
	for i, r := range ranges {
		hot[i] = int(r) >= thr
	}
	hot = dilate(hot, bw, bh) // bridge blocks inside large uniform modules
	type blob struct {
		r      Rect // in blocks
		n      int
		shaped bool
	}
	var blobs []blob
	eachBlob(hot, bw, bh, func(r Rect, n int) {
		if r.W >= regionMinSide && r.H >= regionMinSide {
			blobs = append(blobs, blob{r: r, n: n, shaped: codeShaped(r, n)})
		}
	})
	// Code-shaped blobs first, then the others (a code touching text or an
	// edge merges with it), largest first within each kind.
	sort.SliceStable(blobs, func(i, j int) bool {
		if blobs[i].shaped != blobs[j].shaped {
			return blobs[i].shaped
		}
		return blobs[i].n > blobs[j].n
	})
	for i, b := range blobs {
		if len(out) == maxRegions {
			break
		}
		r := Rect{
			X: max(0, (b.r.X-regionMargin)*regionBlock),
			Y: max(0, (b.r.Y-regionMargin)*regionBlock),
		}
		r.W = min(g.W, (b.r.X+b.r.W+regionMargin)*regionBlock) - r.X
		r.H = min(g.H, (b.r.Y+b.r.H+regionMargin)*regionBlock) - r.Y
		if i == 0 && r.W*r.H*5 > g.W*g.H*3 {
			return []Rect{full}, 1, false // most of the frame: no point cropping
		}
		if b.shaped {
			shaped++
		}
		out = append(out, r)
	}
	// The bound or a blob that is not code-shaped may have left a code out
	// (faint beside high-contrast clutter, or merged with text or a card's
	// edge): one more region, after the code-shaped ones, around the
	// frame's densest blob (see coreRegion).
	if len(out) == maxRegions || shaped < len(out) {
		if r, ok := coreRegion(ranges, bw, bh, g, out); ok {
			out = append(out[:shaped], append([]Rect{r}, out[shaped:]...)...)
			shaped++
		}
	}
	return out, shaped, false
}

// maxCoreSide bounds the core blob coreRegion returns (blocks, each
// side): the codes it finds are 7–16 blocks (2–3.5 px modules), and the
// checkerboard of the 1080p testsrc2 scene, 21×13, passes the gate.
const maxCoreSide = 16

// coreRegion returns the region around the largest code-shaped blob of
// core blocks: blocks whose 3×3 neighbourhood all ranges over at least
// 3/5 of the frame's widest such neighbourhood (2/5 let a faint code's
// blob merge with the texture around it). A code's modules fill its
// area, so its blocks stay in the core however faint it is beside the
// frame's clutter, while lines of text, the edges of cards and paper and
// smooth texture fall out; a code that merged with them into one blob, or
// that the frame's threshold left out, is found again. It reports false
// when a region already listed holds the blob's region (a page of text
// in the cluttered empty scene: one more gate on it cost 40 %).
func coreRegion(ranges []uint8, bw, bh int, g Gray, listed []Rect) (Rect, bool) {
	// the minimum over 3×3 blocks, separably: over 3 columns, then 3 rows
	row := make([]uint8, bw*bh)
	for y := 0; y < bh; y++ {
		rs, out := ranges[y*bw:(y+1)*bw], row[y*bw:(y+1)*bw]
		for x := 1; x < bw-1; x++ {
			out[x] = min(rs[x-1], rs[x], rs[x+1])
		}
	}
	core := make([]uint8, bw*bh)
	top := 0
	for y := 1; y < bh-1; y++ {
		a, b, c := row[(y-1)*bw:y*bw], row[y*bw:(y+1)*bw], row[(y+1)*bw:(y+2)*bw]
		out := core[y*bw : (y+1)*bw]
		for x := 1; x < bw-1; x++ {
			m := min(a[x], b[x], c[x])
			out[x] = m
			top = max(top, int(m))
		}
	}
	thr := max(regionMinRange, top*3/5)
	in := make([]bool, bw*bh)
	for i, c := range core {
		in[i] = int(c) >= thr
	}
	var best Rect
	bestN := 0
	eachBlob(in, bw, bh, func(r Rect, n int) {
		if n > bestN && n >= 4 && r.W <= maxCoreSide && r.H <= maxCoreSide && codeShaped(r, n) {
			best, bestN = r, n
		}
	})
	if bestN == 0 {
		return Rect{}, false
	}
	m := regionMargin + 1 // the erosion's block back, and the quiet zone
	r := Rect{X: max(0, (best.X-m)*regionBlock), Y: max(0, (best.Y-m)*regionBlock)}
	r.W = min(g.W, (best.X+best.W+m)*regionBlock) - r.X
	r.H = min(g.H, (best.Y+best.H+m)*regionBlock) - r.Y
	for _, l := range listed {
		if l.X <= r.X && l.Y <= r.Y && l.X+l.W >= r.X+r.W && l.Y+l.H >= r.Y+r.H {
			return Rect{}, false
		}
	}
	return r, true
}

// eachBlob calls fn with the bounding box (in blocks) and the block count
// of each 8-connected blob of the set blocks of in, a bw×bh grid.
func eachBlob(in []bool, bw, bh int, fn func(r Rect, n int)) {
	seen := make([]bool, bw*bh)
	stack := make([]int, 0, 64)
	for i := range in {
		if !in[i] || seen[i] {
			continue
		}
		r := Rect{X: i % bw, Y: i / bw}
		x1, y1, n := r.X, r.Y, 0
		seen[i] = true
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := j%bw, j/bw
			r.X, r.Y = min(r.X, x), min(r.Y, y)
			x1, y1 = max(x1, x), max(y1, y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= bw || ny >= bh {
						continue
					}
					if k := ny*bw + nx; in[k] && !seen[k] {
						seen[k] = true
						stack = append(stack, k)
					}
				}
			}
		}
		r.W, r.H = x1-r.X+1, y1-r.Y+1
		fn(r, n)
	}
}

// codeShaped reports whether a blob of n blocks with bounding box r (in
// blocks) can be a QR code seen at a slant: not too small, not much longer
// than wide, and dense (a code rotated 45° still fills half its box). Long
// lines of text, edges and sparse clutter fail; they only cost time.
func codeShaped(r Rect, n int) bool {
	if r.W < regionMinSide || r.H < regionMinSide {
		return false
	}
	if r.W > 3*r.H || r.H > 3*r.W {
		return false
	}
	return n*10 >= r.W*r.H*4
}

// blockExtremes holds, per 8 px block of a frame, the lowest and highest
// horizontal pair mean on every third row (pairing halves the spread of
// sensor noise; two or three rows of an 8 px block, eight or nine of a
// 16 px region block, show a code's both colours). The region search takes
// its 16 px ranges from them, and the finder scan its local thresholds, so
// the frame is read once for both.
type blockExtremes struct {
	pix    *byte // the frame measured (its first pixel), W and H
	w, h   int
	bw, bh int
	lo, hi []uint8
}

// extBlock is the side of blockExtremes' blocks: finderBlock, and half a
// region block.
const extBlock = finderBlock

func (e *blockExtremes) measure(g Gray) {
	e.pix, e.w, e.h = &g.Pix[0], g.W, g.H
	bw, bh := (g.W+extBlock-1)/extBlock, (g.H+extBlock-1)/extBlock
	e.bw, e.bh = bw, bh
	e.lo, e.hi = grow(e.lo, bw*bh), grow(e.hi, bw*bh)
	lo, hi := e.lo, e.hi
	full := g.W / extBlock // blocks of a whole 8 px, unrolled
	var rows [extBlock][]byte
	for by := 0; by < bh; by++ {
		// the band's rows on the every-third-row grid; each block's
		// extremes stay in registers over them
		n := 0
		for y := (by*extBlock + 2) / 3 * 3; y < min((by+1)*extBlock, g.H); y += 3 {
			rows[n] = g.Pix[y*g.W : (y+1)*g.W]
			n++
		}
		blo, bhi := lo[by*bw:(by+1)*bw], hi[by*bw:(by+1)*bw]
		for b := 0; b < full; b++ {
			// in uint: min and max of bytes compile to branches, of
			// words to conditional moves
			l, h := uint(255), uint(0)
			for _, row := range rows[:n] {
				s := row[b*extBlock : b*extBlock+8 : b*extBlock+8]
				v0 := (uint(s[0]) + uint(s[1])) >> 1
				v1 := (uint(s[2]) + uint(s[3])) >> 1
				v2 := (uint(s[4]) + uint(s[5])) >> 1
				v3 := (uint(s[6]) + uint(s[7])) >> 1
				l = min(l, v0, v1, v2, v3)
				h = max(h, v0, v1, v2, v3)
			}
			blo[b], bhi[b] = uint8(l), uint8(h)
		}
		if full < bw {
			l, h := uint8(255), uint8(0)
			for _, row := range rows[:n] {
				seg := row[full*extBlock:]
				for x := 0; x+1 < len(seg); x += 2 {
					v := uint8((uint(seg[x]) + uint(seg[x+1])) >> 1)
					l, h = min(l, v), max(h, v)
				}
			}
			blo[full], bhi[full] = l, h
		}
	}
}

// of reports whether e measured g.
func (e *blockExtremes) of(g Gray) bool {
	return e.pix != nil && g.valid() && e.pix == &g.Pix[0] && e.w == g.W && e.h == g.H
}

// ranges returns, per regionBlock block (bw×bh of them), max−min over its
// 8 px blocks.
func (e *blockExtremes) ranges(bw, bh int) []uint8 {
	const k = regionBlock / extBlock
	out := make([]uint8, bw*bh)
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			var l, h uint8 = 255, 0
			for yy := y * k; yy < min((y+1)*k, e.bh); yy++ {
				for xx := x * k; xx < min((x+1)*k, e.bw); xx++ {
					l, h = min(l, e.lo[yy*e.bw+xx]), max(h, e.hi[yy*e.bw+xx])
				}
			}
			if h > l {
				out[y*bw+x] = h - l
			}
		}
	}
	return out
}

// dilate sets every block next to a set block (8-neighbourhood).
func dilate(in []bool, w, h int) []bool {
	out := make([]bool, len(in))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if !in[y*w+x] {
				continue
			}
			for dy := max(0, y-1); dy <= min(h-1, y+1); dy++ {
				for dx := max(0, x-1); dx <= min(w-1, x+1); dx++ {
					out[dy*w+dx] = true
				}
			}
		}
	}
	return out
}

// CropStretch copies r out of g with the contrast of the crop stretched
// (see Stretch) in one pass. When r is the whole frame and its contrast is
// already full, g itself is returned, uncopied.
func CropStretch(g Gray, r Rect, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	r = clip(r, g)
	if r.W <= 0 || r.H <= 0 {
		return Gray{}
	}
	var hist [256]int
	for y := r.Y; y < r.Y+r.H; y++ {
		for _, p := range g.Pix[y*g.W+r.X : y*g.W+r.X+r.W] {
			hist[p]++
		}
	}
	lut, identity := stretchLUT(histPercentiles(&hist, r.W*r.H, 5, 5))
	if identity && r.W == g.W && r.H == g.H {
		return Gray{Pix: g.Pix[:g.W*g.H], W: g.W, H: g.H}
	}
	dst = grow(dst, r.W*r.H)
	for y := 0; y < r.H; y++ {
		src := g.Pix[(r.Y+y)*g.W+r.X : (r.Y+y)*g.W+r.X+r.W]
		out := dst[y*r.W : (y+1)*r.W]
		for x, p := range src {
			out[x] = lut[p]
		}
	}
	return Gray{Pix: dst, W: r.W, H: r.H}
}

// clip limits r to the frame.
func clip(r Rect, g Gray) Rect {
	x0, y0 := max(0, r.X), max(0, r.Y)
	x1, y1 := min(g.W, r.X+r.W), min(g.H, r.Y+r.H)
	return Rect{x0, y0, x1 - x0, y1 - y0}
}

// codeBox returns the box, in frame coordinates, of the dense part of
// region r of the measured frame: the 8 px blocks of which at least 7 of
// their 3×3 neighbourhood have a grey range of at least 2/5 of the
// region's highest (a code's modules fill such an area, with a few blocks
// inside one module; the edge of a card is a strip one or two blocks
// wide, 6 of 9 at most), widened by a block for that erosion and by margin
// pixels. It returns r when nothing is dense.
func (e *blockExtremes) codeBox(r Rect, margin int) Rect {
	if e.pix == nil || r.X%extBlock != 0 || r.Y%extBlock != 0 {
		return r
	}
	bx0, by0 := r.X/extBlock, r.Y/extBlock
	bx1, by1 := min(e.bw, (r.X+r.W+extBlock-1)/extBlock), min(e.bh, (r.Y+r.H+extBlock-1)/extBlock)
	top := 0
	for by := by0; by < by1; by++ {
		for bx := bx0; bx < bx1; bx++ {
			top = max(top, int(e.hi[by*e.bw+bx])-int(e.lo[by*e.bw+bx]))
		}
	}
	thr := max(regionMinRange, top*2/5)
	hot := func(bx, by int) bool {
		i := by*e.bw + bx
		return int(e.hi[i])-int(e.lo[i]) >= thr
	}
	x0, y0, x1, y1 := bx1, by1, -1, -1
	for by := by0 + 1; by < by1-1; by++ {
		for bx := bx0 + 1; bx < bx1-1; bx++ {
			n := 0
			for y := by - 1; y <= by+1; y++ {
				for x := bx - 1; x <= bx+1; x++ {
					if hot(x, y) {
						n++
					}
				}
			}
			if n >= 7 {
				x0, y0, x1, y1 = min(x0, bx), min(y0, by), max(x1, bx), max(y1, by)
			}
		}
	}
	if x1 < 0 {
		return r
	}
	box := Rect{(x0-1)*extBlock - margin, (y0-1)*extBlock - margin, 0, 0}
	box.W = (x1+2)*extBlock + margin - box.X
	box.H = (y1+2)*extBlock + margin - box.Y
	return box
}
