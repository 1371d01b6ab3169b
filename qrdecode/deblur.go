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
	for y := r.Y + 1; y < r.Y+r.H-1; y++ {
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
	if !g.valid() || length < 1 || iters < 1 {
		return Gray{}
	}
	k := lineKernel(length, degrees)
	flipped := make([]tap, len(k))
	for i, t := range k {
		flipped[i] = tap{-t.dx, -t.dy, t.w}
	}
	n := g.W * g.H
	obs := make([]float32, n)
	est := make([]float32, n)
	tmp := make([]float32, n)
	tmp2 := make([]float32, n)
	for i, p := range g.Pix[:n] {
		obs[i] = float32(p) + 1 // +1 keeps the ratios finite on black
		est[i] = obs[i]
	}
	for range iters {
		convolve(est, tmp, g.W, g.H, k)
		for i := range tmp {
			tmp[i] = obs[i] / tmp[i]
		}
		convolve(tmp, tmp2, g.W, g.H, flipped)
		for i := range est {
			est[i] *= tmp2[i]
		}
	}
	out := Gray{Pix: make([]byte, n), W: g.W, H: g.H}
	for i, v := range est {
		out.Pix[i] = byte(min(max(v-1, 0), 255))
	}
	return out
}

// convolve writes in ⊛ k to out (w×h, edges clamped). Rows and columns
// within the kernel's reach of an edge clamp per pixel; the interior is
// summed tap by tap over whole row spans, which the compiler keeps free of
// bounds checks and branches.
func convolve(in, out []float32, w, h int, k []tap) {
	r := 0
	for _, t := range k {
		r = max(r, t.dx, -t.dx, t.dy, -t.dy)
	}
	edge := func(x, y int) {
		var s float32
		for _, t := range k {
			xx, yy := min(max(x+t.dx, 0), w-1), min(max(y+t.dy, 0), h-1)
			s += in[yy*w+xx] * t.w
		}
		out[y*w+x] = s
	}
	for y := 0; y < h; y++ {
		if y < r || y >= h-r || w <= 2*r {
			for x := 0; x < w; x++ {
				edge(x, y)
			}
			continue
		}
		for x := 0; x < r; x++ {
			edge(x, y)
			edge(w-1-x, y)
		}
		dst := out[y*w+r : y*w+w-r]
		clear(dst)
		for _, t := range k {
			o := (y+t.dy)*w + r + t.dx
			src := in[o : o+len(dst)]
			for x := range dst {
				dst[x] += src[x] * t.w
			}
		}
	}
}
