package qrdecode

// Frame enhancements. Each writes into a caller-owned buffer (grown when
// too small) so a Decoder reuses its memory from frame to frame, and each
// accepts any frame size including 1×1 without panicking.

// grow returns buf with length n, reusing its memory when it is big enough.
func grow(buf []byte, n int) []byte {
	if cap(buf) < n {
		return make([]byte, n)
	}
	return buf[:n]
}

// Percentiles returns the grey levels below which lowPerMille and above
// which highPerMille thousandths of the pixels lie (e.g. 10 and 10 for the
// 1st and 99th percentile).
func Percentiles(g Gray, lowPerMille, highPerMille int) (lo, hi byte) {
	if !g.valid() {
		return 0, 255
	}
	var hist [256]int
	for _, p := range g.Pix[:g.W*g.H] {
		hist[p]++
	}
	return histPercentiles(&hist, g.W*g.H, lowPerMille, highPerMille)
}

// histPercentiles is Percentiles over a histogram of n pixels.
func histPercentiles(hist *[256]int, n, lowPerMille, highPerMille int) (lo, hi byte) {
	lowN, highN := n*lowPerMille/1000, n*highPerMille/1000
	acc := 0
	for i := 0; i < 256; i++ {
		acc += hist[i]
		if acc > lowN {
			lo = byte(i)
			break
		}
	}
	acc = 0
	for i := 255; i >= 0; i-- {
		acc += hist[i]
		if acc > highN {
			hi = byte(i)
			break
		}
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// stretchLUT maps lo..hi to 0..255; identity reports a LUT that changes
// nothing (lo 0, hi 255, or a flat image).
func stretchLUT(lo, hi byte) (lut [256]byte, identity bool) {
	if hi <= lo || (lo == 0 && hi == 255) {
		for i := range lut {
			lut[i] = byte(i)
		}
		return lut, true
	}
	span := int(hi) - int(lo)
	for i := range lut {
		v := (i - int(lo)) * 255 / span
		lut[i] = byte(min(max(v, 0), 255))
	}
	return lut, false
}

// Stretch maps the grey levels between the 0.5th and 99.5th percentile to
// 0–255 (clipping outside), so a faint code gets the contrast gozxing's
// binarisers need (they give up on blocks under 24 grey levels). A flat
// frame is copied unchanged.
func Stretch(g Gray, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	dst = grow(dst, g.W*g.H)
	lut, _ := stretchLUT(Percentiles(g, 5, 5))
	for i, p := range g.Pix[:g.W*g.H] {
		dst[i] = lut[p]
	}
	return Gray{Pix: dst, W: g.W, H: g.H}
}

// Down2 halves both sides with a 2×2 box filter (odd last row/column
// dropped). Frames smaller than 2×2 are copied.
func Down2(g Gray, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	w, h := g.W/2, g.H/2
	if w == 0 || h == 0 {
		dst = grow(dst, g.W*g.H)
		copy(dst, g.Pix)
		return Gray{Pix: dst, W: g.W, H: g.H}
	}
	dst = grow(dst, w*h)
	for y := 0; y < h; y++ {
		r0 := g.Pix[2*y*g.W : 2*y*g.W+2*w]
		r1 := g.Pix[(2*y+1)*g.W : (2*y+1)*g.W+2*w]
		out := dst[y*w : (y+1)*w]
		for x := range out {
			s := uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1])
			out[x] = byte((s + 2) >> 2)
		}
	}
	return Gray{Pix: dst, W: w, H: h}
}

// Up2 doubles both sides with bilinear interpolation (pixel centres kept),
// which gives gozxing's finder-pattern scan more than one pixel per module
// on small codes.
func Up2(g Gray, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	w, h := g.W*2, g.H*2
	dst = grow(dst, w*h)
	// Output pixel 2x+k samples source x + (k==0 ? -0.25 : +0.25).
	for y := 0; y < h; y++ {
		sy0, sy1, fy := bilinearTaps(y, g.H)
		r0 := g.Pix[sy0*g.W : (sy0+1)*g.W]
		r1 := g.Pix[sy1*g.W : (sy1+1)*g.W]
		out := dst[y*w : (y+1)*w]
		px := func(x int) {
			sx0, sx1, fx := bilinearTaps(x, g.W)
			top := int(r0[sx0])*(4-fx) + int(r0[sx1])*fx
			bot := int(r1[sx0])*(4-fx) + int(r1[sx1])*fx
			out[x] = byte((top*(4-fy) + bot*fy + 8) >> 4)
		}
		if g.W < 3 {
			for x := range out {
				px(x)
			}
			continue
		}
		px(0)
		px(w - 1)
		// Interior: output 2x+1 and 2x+2 lie between sources x and x+1,
		// at weights (3/4, 1/4) and (1/4, 3/4); no per-pixel tap lookup.
		for x := 0; x+1 < g.W; x++ {
			a := int(r0[x])*(4-fy) + int(r1[x])*fy
			b := int(r0[x+1])*(4-fy) + int(r1[x+1])*fy
			o := out[2*x+1 : 2*x+3]
			o[0] = byte((3*a + b + 8) >> 4)
			o[1] = byte((a + 3*b + 8) >> 4)
		}
	}
	return Gray{Pix: dst, W: w, H: h}
}

// bilinearTaps returns the two source indices and the weight (in quarters)
// of the second for output index o of a 2× upscale of a line of n pixels.
func bilinearTaps(o, n int) (a, b, f int) {
	// Source coordinate (o+0.5)/2-0.5 = o/2 - 0.25, in quarters: 2o-1.
	q := 2*o - 1
	if q < 0 {
		return 0, 0, 0
	}
	a = q >> 2
	f = q & 3
	b = a + 1
	if b >= n {
		b = n - 1
	}
	if a >= n {
		a = n - 1
	}
	return a, b, f
}

// backgroundBlock is the side of the blocks the background is estimated on.
const backgroundBlock = 8

// FlattenBackground divides every pixel by a smooth estimate of the local
// background (the mean over about 9×9 blocks of 8 px) so a code under a
// shadow or a lighting gradient has the same contrast as one in full light.
// The result is scaled so that the local mean maps to 128.
func FlattenBackground(g Gray, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	bw := (g.W + backgroundBlock - 1) / backgroundBlock
	bh := (g.H + backgroundBlock - 1) / backgroundBlock
	means := make([]int, bw*bh)
	counts := make([]int, bw*bh)
	for y := 0; y < g.H; y++ {
		row := g.Pix[y*g.W : (y+1)*g.W]
		base := (y / backgroundBlock) * bw
		for x, p := range row {
			means[base+x/backgroundBlock] += int(p)
			counts[base+x/backgroundBlock]++
		}
	}
	for i := range means {
		means[i] /= counts[i]
	}
	bg := boxBlur(means, bw, bh, 4)
	bg = boxBlur(bg, bw, bh, 4) // twice: close to a Gaussian, no block edges
	dst = grow(dst, g.W*g.H)
	for y := 0; y < g.H; y++ {
		row := g.Pix[y*g.W : (y+1)*g.W]
		out := dst[y*g.W : (y+1)*g.W]
		base := (y / backgroundBlock) * bw
		for x, p := range row {
			b := bg[base+x/backgroundBlock] + 1
			out[x] = byte(min(int(p)*128/b, 255))
		}
	}
	return Gray{Pix: dst, W: g.W, H: g.H}
}

// boxBlur averages v (w×h) over a (2r+1)² window clipped to the edges,
// separably, returning a new slice.
func boxBlur(v []int, w, h, r int) []int {
	tmp := make([]int, len(v))
	for y := 0; y < h; y++ {
		row := v[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for k := max(0, x-r); k <= min(w-1, x+r); k++ {
				s += row[k]
				n++
			}
			tmp[y*w+x] = s / n
		}
	}
	out := make([]int, len(v))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for k := max(0, y-r); k <= min(h-1, y+r); k++ {
				s += tmp[k*w+x]
				n++
			}
			out[y*w+x] = s / n
		}
	}
	return out
}

// Sharpen applies a mild unsharp mask, p + (p - mean3×3(p)), which steepens
// module edges smeared by motion or focus blur. Border pixels are copied.
func Sharpen(g Gray, dst []byte) Gray {
	if !g.valid() {
		return Gray{}
	}
	dst = grow(dst, g.W*g.H)
	copy(dst, g.Pix)
	w := g.W
	for y := 1; y < g.H-1; y++ {
		up, mid, dn := g.Pix[(y-1)*w:y*w], g.Pix[y*w:(y+1)*w], g.Pix[(y+1)*w:(y+2)*w]
		out := dst[y*w : (y+1)*w]
		for x := 1; x < w-1; x++ {
			s := int(up[x-1]) + int(up[x]) + int(up[x+1]) +
				int(mid[x-1]) + int(mid[x]) + int(mid[x+1]) +
				int(dn[x-1]) + int(dn[x]) + int(dn[x+1])
			p := int(mid[x])
			v := p + (9*p-s)/9
			out[x] = byte(min(max(v, 0), 255))
		}
	}
	return Gray{Pix: dst, W: g.W, H: g.H}
}
