package qrdecode

import "math"

// Motion deblurring for the thorough mode. A code moved during the
// exposure is smeared along one direction by a few pixels; Richardson–Lucy
// deconvolution with a line kernel of about that length and direction
// restores edges sharp enough for the binariser. The direction comes from
// the structure tensor (see BlurDirection); the length is not known, so a
// few lengths and slightly turned directions are tried: too costly for
// every camera frame (the next frame is usually sharp), affordable for
// `markd decode`.

// BlurDirection estimates the direction of a motion blur in g, in degrees
// (0 = along rows, 90 = along columns, image y pointing down), and how
// anisotropic the gradients are: the ratio of the smaller to the larger
// eigenvalue of the structure tensor, about 1 for a sharp QR code (its
// square grid has no preferred direction) and low for one smeared
// by motion (0.22–0.28 on the motion frames of the hard set; cluttered
// scenes without a code measured 0.44–0.94).
func BlurDirection(g Gray) (degrees, anisotropy float64) {
	return blurDirection(g, Rect{0, 0, g.W, g.H})
}

// blurDirection is BlurDirection over region r of g.
func blurDirection(g Gray, r Rect) (degrees, anisotropy float64) {
	if !g.valid() {
		return 0, 1
	}
	r = clip(r, g)
	if r.W < 3 || r.H < 3 {
		return 0, 1
	}
	var a, b, c float64
	for y := r.Y + 1; y < r.Y+r.H-1; y += 2 { // every other row is enough for the tensor
		row := g.Pix[y*g.W : (y+1)*g.W]
		up, dn := g.Pix[(y-1)*g.W:y*g.W], g.Pix[(y+1)*g.W:(y+2)*g.W]
		for x := r.X + 1; x < r.X+r.W-1; x++ {
			ix := float64(int(row[x+1]) - int(row[x-1]))
			iy := float64(int(dn[x]) - int(up[x]))
			a += ix * ix
			b += ix * iy
			c += iy * iy
		}
	}
	tr, det := a+c, a*c-b*b
	disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
	hi, lo := tr/2+disc, tr/2-disc
	if hi <= 0 {
		return 0, 1
	}
	strongest := 0.5 * math.Atan2(2*b, a-c) * 180 / math.Pi
	// The blur runs across the strongest gradients.
	return math.Mod(strongest+270, 180), lo / hi
}

// maxBlurLag is the longest blur (pixels) blurLength looks for: about
// three modules of the smallest codes the region search finds, and more
// than Richardson–Lucy restores at all on the generated frames.
const maxBlurLag = 16

// blurLengthBias is what blurLength's dip lies beyond the true length: on
// the generated motion frames (bench/qr/qrgen, Gaussian blur of 0.3–0.6 px
// on top of the motion) smeared by 5 px or more the dip sat 0.2–1.1 px,
// median 0.5, past it (up to 1.5 px for shorter blurs).
const blurLengthBias = 0.5

// blurLength estimates the length (pixels) of a motion blur along degrees
// (as BlurDirection) in region r of g, from the autocorrelation of the
// derivative along that direction. A line blur of length L turns every
// edge into a ramp L long, whose derivative is a plateau bounded by two
// steps of opposite sign L apart; the autocorrelation of the derivative
// has its deepest dip at that lag. The code's own edges add a dip at about
// one module, narrower and shallower once the blur is longer than a
// module (the case this is for). It returns 0 when the region is too
// small or flat.
func blurLength(g Gray, r Rect, degrees float64) float64 {
	if !g.valid() {
		return 0
	}
	r = clip(r, g)
	if r.W < 2*maxBlurLag+3 || r.H < 2*maxBlurLag+3 {
		return 0
	}
	rad := degrees * math.Pi / 180
	cs, sn := math.Cos(rad), math.Sin(rad)
	// derivative along the direction from central differences, on the
	// region less a border of one pixel
	w, h := r.W-2, r.H-2
	d := make([]float32, w*h)
	for y := range h {
		gy := r.Y + 1 + y
		row, up, dn := g.Pix[gy*g.W:], g.Pix[(gy-1)*g.W:], g.Pix[(gy+1)*g.W:]
		for x := range w {
			gx := r.X + 1 + x
			ix := float64(int(row[gx+1]) - int(row[gx-1]))
			iy := float64(int(dn[gx]) - int(up[gx]))
			d[y*w+x] = float32(ix*cs + iy*sn)
		}
	}
	var acf [maxBlurLag + 1]float64
	for lag := 1; lag <= maxBlurLag; lag++ {
		ox, oy := int(math.Round(float64(lag)*cs)), int(math.Round(float64(lag)*sn))
		x0, x1 := max(0, -ox), min(w, w-ox)
		var s float64
		for y := max(0, -oy); y < min(h, h-oy); y += 2 { // every other row
			a, b := d[y*w+x0:y*w+x1], d[(y+oy)*w+x0+ox:(y+oy)*w+x1+ox]
			var rs float32
			for i, v := range a {
				rs += v * b[i]
			}
			s += float64(rs)
		}
		acf[lag] = s
	}
	best := 2
	for lag := 3; lag <= maxBlurLag; lag++ {
		if acf[lag] < acf[best] {
			best = lag
		}
	}
	if acf[best] >= 0 {
		return 0
	}
	l := float64(best)
	if best < maxBlurLag { // the parabola through the dip and its neighbours
		a, b, c := acf[best-1], acf[best], acf[best+1]
		if den := a - 2*b + c; den > 0 {
			l += 0.5 * (a - c) / den
		}
	}
	return max(l-blurLengthBias, 1)
}

// tap is one weight of a convolution kernel at an offset.
type tap struct {
	dx, dy int
	w      float32
}

// lineKernel samples a centred line of length pixels at the angle,
// normalised to sum 1.
func lineKernel(length, degrees float64) []tap {
	rad := degrees * math.Pi / 180
	n := max(int(length*4), 1)
	var taps []tap
	for i := 0; i <= n; i++ {
		t := -length/2 + length*float64(i)/float64(n)
		dx, dy := int(math.Round(t*math.Cos(rad))), int(math.Round(t*math.Sin(rad)))
		found := false
		for j := range taps {
			if taps[j].dx == dx && taps[j].dy == dy {
				taps[j].w++
				found = true
				break
			}
		}
		if !found {
			taps = append(taps, tap{dx, dy, 1})
		}
	}
	for j := range taps {
		taps[j].w /= float32(n + 1)
	}
	return taps
}

// Deblur deconvolves g for a motion blur of length pixels in the given
// direction (degrees, as BlurDirection) with iters Richardson–Lucy
// iterations.
func Deblur(g Gray, length, degrees float64, iters int) Gray {
	var s deblurScratch
	return s.deblur(g, length, degrees, iters, false, nil)
}

// deblurScratch is the reusable float memory of a deconvolution.
type deblurScratch struct {
	obs, est, ratio, row []float32
	k, flipped           []tap
	w, h                 int // of the deconvolution under way
}

func growF(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// accelIters is the number of accelerated Richardson–Lucy iterations
// (est *= correction², not correction): 6 of them restore the hard set's
// motion frames as well as 10 plain ones did (h1–h3 at the estimated
// direction and 5 px, h4 at 5° off it), at 0.6 of the cost.
const accelIters = 6

// deblur is Deblur with reusable memory, writing into dst; accel squares
// each correction (see accelIters), clamped so a ringing pixel cannot run
// away.
func (s *deblurScratch) deblur(g Gray, length, degrees float64, iters int, accel bool, dst []byte) Gray {
	if !s.start(g, length, degrees) || iters < 1 {
		return Gray{}
	}
	s.iterate(iters, accel)
	return s.result(dst)
}

// start sets up a deconvolution of g (see deblur); iterate then runs
// iterations and result reads the estimate, so a caller can look at it
// after a few iterations and go on only if it must.
func (s *deblurScratch) start(g Gray, length, degrees float64) bool {
	if !g.valid() || length < 1 {
		s.w, s.h = 0, 0
		return false
	}
	s.k = lineKernel(length, degrees)
	s.flipped = s.flipped[:0]
	for _, t := range s.k {
		s.flipped = append(s.flipped, tap{-t.dx, -t.dy, t.w})
	}
	n, w := g.W*g.H, g.W
	s.w, s.h = g.W, g.H
	s.obs, s.est, s.ratio, s.row = growF(s.obs, n), growF(s.est, n), growF(s.ratio, n), growF(s.row, w)
	for i, p := range g.Pix[:n] {
		s.obs[i] = float32(p) + 1 // +1 keeps the ratios finite on black
		s.est[i] = s.obs[i]
	}
	return true
}

func (s *deblurScratch) iterate(iters int, accel bool) {
	w, h, k, flipped := s.w, s.h, s.k, s.flipped
	if w == 0 {
		return
	}
	obs, est, ratio, row := s.obs, s.est, s.ratio, s.row
	rk, rf := kernelReach(k), kernelReach(flipped)
	for range iters {
		// ratio = obs / (est ⊛ k), then est *= ratio ⊛ flipped, a row at a
		// time so the convolved row is still in cache
		for y := 0; y < h; y++ {
			convolveRow(est, row, w, h, y, k, rk)
			o, r := obs[y*w:(y+1)*w], ratio[y*w:(y+1)*w]
			for x, v := range row {
				r[x] = o[x] / v
			}
		}
		for y := 0; y < h; y++ {
			convolveRow(ratio, row, w, h, y, flipped, rf)
			e := est[y*w : (y+1)*w]
			if accel {
				for x, c := range row {
					e[x] = min(e[x]*c*c, 1024)
				}
			} else {
				for x, c := range row {
					e[x] *= c
				}
			}
		}
	}
}

func (s *deblurScratch) result(dst []byte) Gray {
	n := s.w * s.h
	if n == 0 {
		return Gray{}
	}
	dst = grow(dst, n)
	for i, v := range s.est[:n] {
		dst[i] = byte(min(max(v-1, 0), 255))
	}
	return Gray{Pix: dst, W: s.w, H: s.h}
}

// convolve writes in ⊛ k to out (w×h, edges clamped), row by row (see
// convolveRow).
func convolve(in, out []float32, w, h int, k []tap) {
	r := kernelReach(k)
	for y := 0; y < h; y++ {
		convolveRow(in, out[y*w:(y+1)*w], w, h, y, k, r)
	}
}

// kernelReach is the largest offset of a tap in either axis.
func kernelReach(k []tap) int {
	r := 0
	for _, t := range k {
		r = max(r, t.dx, -t.dx, t.dy, -t.dy)
	}
	return r
}

// fastTaps is the most taps the unrolled interior path takes; a line
// kernel of up to 7 px has at most 12 distinct pixel offsets (9 for 5 px
// at 40°).
const fastTaps = 12

// convolveRow writes row y of in ⊛ k to out (w values; edges clamped; r is
// kernelReach(k)). Pixels within the kernel's reach of an edge clamp per
// pixel. The interior sums up to fastTaps taps per pixel in registers over
// whole row spans (one store per pixel, no bounds checks), which runs
// about twice as fast as adding the taps one span at a time.
func convolveRow(in, out []float32, w, h, y int, k []tap, r int) {
	edge := func(x int) {
		var s float32
		for _, t := range k {
			xx, yy := min(max(x+t.dx, 0), w-1), min(max(y+t.dy, 0), h-1)
			s += in[yy*w+xx] * t.w
		}
		out[x] = s
	}
	if y < r || y >= h-r || w <= 2*r {
		for x := 0; x < w; x++ {
			edge(x)
		}
		return
	}
	for x := 0; x < r; x++ {
		edge(x)
		edge(w - 1 - x)
	}
	dst := out[r : w-r]
	n := len(dst)
	if len(k) > fastTaps {
		clear(dst)
		for _, t := range k {
			o := (y+t.dy)*w + r + t.dx
			src := in[o : o+n]
			for x := range dst {
				dst[x] += src[x] * t.w
			}
		}
		return
	}
	var src [fastTaps][]float32
	var wt [fastTaps]float32
	centre := y*w + r
	for i := range src {
		o := centre
		if i < len(k) {
			o = (y+k[i].dy)*w + r + k[i].dx
			wt[i] = k[i].w
		}
		src[i] = in[o : o+n]
	}
	s0, s1, s2, s3 := src[0][:n], src[1][:n], src[2][:n], src[3][:n]
	s4, s5, s6, s7 := src[4][:n], src[5][:n], src[6][:n], src[7][:n]
	s8, s9, s10, s11 := src[8][:n], src[9][:n], src[10][:n], src[11][:n]
	if len(k) <= 8 {
		for x := range dst {
			dst[x] = s0[x]*wt[0] + s1[x]*wt[1] + s2[x]*wt[2] + s3[x]*wt[3] +
				s4[x]*wt[4] + s5[x]*wt[5] + s6[x]*wt[6] + s7[x]*wt[7]
		}
		return
	}
	for x := range dst {
		dst[x] = s0[x]*wt[0] + s1[x]*wt[1] + s2[x]*wt[2] + s3[x]*wt[3] +
			s4[x]*wt[4] + s5[x]*wt[5] + s6[x]*wt[6] + s7[x]*wt[7] +
			s8[x]*wt[8] + s9[x]*wt[9] + s10[x]*wt[10] + s11[x]*wt[11]
	}
}
