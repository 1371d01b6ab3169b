package qrdecode

// Motion deblurring for the thorough mode. A code moved during the
// exposure is smeared along one axis by a few pixels; Richardson–Lucy
// deconvolution with a box kernel of about that length restores edges
// sharp enough for the binariser. The blur length is not known, so a few
// lengths are tried: too costly for every camera frame (the next frame is
// usually sharp), affordable for `markd decode`.

// Deblur deconvolves g for a box motion blur of length pixels along its
// rows (vertical = false) or columns, with iters Richardson–Lucy
// iterations. A vertical result is returned transposed: QR decoding does
// not mind a mirrored code (gozxing retries mirrored), and the transpose is
// what makes the column case as cheap as the row case.
func Deblur(g Gray, length, iters int, vertical bool) Gray {
	if !g.valid() || length < 2 || iters < 1 {
		return Gray{}
	}
	if vertical {
		g = transpose(g)
	}
	n := g.W * g.H
	obs := make([]float32, n)
	est := make([]float32, n)
	tmp := make([]float32, n)
	pre := make([]float32, g.W+1)
	for i, p := range g.Pix[:n] {
		obs[i] = float32(p) + 1 // +1 keeps the ratios finite on black
		est[i] = obs[i]
	}
	for range iters {
		boxRows(est, tmp, g.W, g.H, length, pre)
		for i := range tmp {
			tmp[i] = obs[i] / tmp[i]
		}
		boxRows(tmp, tmp, g.W, g.H, length, pre)
		for i := range est {
			est[i] *= tmp[i]
		}
	}
	out := Gray{Pix: make([]byte, n), W: g.W, H: g.H}
	for i, v := range est {
		out.Pix[i] = byte(min(max(v-1, 0), 255))
	}
	return out
}

// boxRows writes to out the mean of in over a window of length pixels
// along each row (edges clamped); out may be in. pre is scratch of w+1.
func boxRows(in, out []float32, w, h, length int, pre []float32) {
	r0 := length / 2
	for y := 0; y < h; y++ {
		row := in[y*w : (y+1)*w]
		pre[0] = 0
		for x, v := range row {
			pre[x+1] = pre[x] + v
		}
		first, last := row[0], row[w-1]
		o := out[y*w : (y+1)*w]
		for x := range o {
			a, b := x-r0, x-r0+length-1 // inclusive window
			s := float32(0)
			if a < 0 {
				s += float32(-a) * first
				a = 0
			}
			if b >= w {
				s += float32(b-w+1) * last
				b = w - 1
			}
			if b >= a {
				s += pre[b+1] - pre[a]
			}
			o[x] = s / float32(length)
		}
	}
}

// transpose returns g with rows and columns swapped.
func transpose(g Gray) Gray {
	out := Gray{Pix: make([]byte, g.W*g.H), W: g.H, H: g.W}
	for y := 0; y < g.H; y++ {
		row := g.Pix[y*g.W : (y+1)*g.W]
		for x, p := range row {
			out.Pix[x*g.H+y] = p
		}
	}
	return out
}
