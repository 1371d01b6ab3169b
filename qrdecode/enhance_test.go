package qrdecode

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func TestStretch(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"flat copied", []byte{90, 90, 90, 90}, []byte{90, 90, 90, 90}},
		{"two levels", []byte{100, 120, 100, 120}, []byte{0, 255, 0, 255}},
		{"three levels", []byte{100, 110, 120, 100}, []byte{0, 127, 255, 0}},
		{"full range kept", []byte{0, 255, 0, 255}, []byte{0, 255, 0, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Stretch(Gray{Pix: tt.in, W: 2, H: 2}, nil)
			if !bytes.Equal(got.Pix, tt.want) || got.W != 2 || got.H != 2 {
				t.Errorf("Stretch(%v) = %v %dx%d, want %v", tt.in, got.Pix, got.W, got.H, tt.want)
			}
		})
	}
}

func TestPercentilesClipOutliers(t *testing.T) {
	// 1000 pixels 100..199 plus two outliers: the 0.5 % tails ignore them.
	pix := make([]byte, 0, 1002)
	for i := range 1000 {
		pix = append(pix, byte(100+i%100))
	}
	pix = append(pix, 0, 255)
	lo, hi := Percentiles(Gray{Pix: pix, W: len(pix), H: 1}, 5, 5)
	if lo < 100 || lo > 101 || hi < 198 || hi > 199 {
		t.Errorf("Percentiles = %d..%d, want about 100..199", lo, hi)
	}
}

func TestDown2(t *testing.T) {
	tests := []struct {
		name string
		in   Gray
		want Gray
	}{
		{"2x2", Gray{Pix: []byte{0, 4, 8, 12}, W: 2, H: 2}, Gray{Pix: []byte{6}, W: 1, H: 1}},
		{"odd edge dropped", Gray{Pix: []byte{10, 10, 99, 10, 10, 99, 99, 99, 99}, W: 3, H: 3}, Gray{Pix: []byte{10}, W: 1, H: 1}},
		{"1xN copied", Gray{Pix: []byte{1, 2, 3}, W: 1, H: 3}, Gray{Pix: []byte{1, 2, 3}, W: 1, H: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Down2(tt.in, nil)
			if !bytes.Equal(got.Pix, tt.want.Pix) || got.W != tt.want.W || got.H != tt.want.H {
				t.Errorf("Down2 = %v %dx%d, want %v %dx%d", got.Pix, got.W, got.H, tt.want.Pix, tt.want.W, tt.want.H)
			}
		})
	}
}

func TestUp2(t *testing.T) {
	tests := []struct {
		name string
		in   Gray
		want []byte
	}{
		{"1x1", Gray{Pix: []byte{77}, W: 1, H: 1}, []byte{77, 77, 77, 77}},
		// samples at x = −0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
		{"ramp", Gray{Pix: []byte{0, 160}, W: 2, H: 1}, []byte{0, 40, 120, 160, 0, 40, 120, 160}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Up2(tt.in, nil)
			if !bytes.Equal(got.Pix, tt.want) || got.W != 2*tt.in.W || got.H != 2*tt.in.H {
				t.Errorf("Up2 = %v %dx%d, want %v", got.Pix, got.W, got.H, tt.want)
			}
		})
	}
}

func TestFlattenBackgroundEvensShadow(t *testing.T) {
	// A checkerboard of 4 px squares under a left-to-right light ramp: the
	// contrast of a square pair is 4× larger on the right before, and about
	// the same after flattening.
	const w, h = 256, 64
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for y := range h {
		for x := range w {
			light := 40 + 200*x/w
			v := light
			if (x/4+y/4)%2 == 0 {
				v = light / 3
			}
			g.Pix[y*w+x] = byte(v)
		}
	}
	contrast := func(g Gray, x int) int { return int(g.Pix[32*w+x+4]) - int(g.Pix[32*w+x]) }
	flat := FlattenBackground(g, nil)
	left, right := contrast(flat, 64), contrast(flat, 192)
	if left < right*2/3 || right < left*2/3 {
		t.Errorf("flattened contrast left %d right %d: not evened out (before: %d, %d)", left, right, contrast(g, 64), contrast(g, 192))
	}
}

// TestDeblurContinues: iterations run in two goes (the grid sampling
// looks in between) give what they give in one.
func TestDeblurContinues(t *testing.T) {
	g := textLines(120, 90, 5)
	var one, two deblurScratch
	want := one.deblur(g, 5, 30, 6, true, nil)
	if !two.start(g, 5, 30) {
		t.Fatal("start refused a valid frame")
	}
	two.iterate(2, true)
	two.iterate(4, true)
	if got := two.result(nil); !bytes.Equal(got.Pix, want.Pix) || got.W != want.W || got.H != want.H {
		t.Error("2 + 4 iterations differ from 6")
	}
	if two.start(Gray{}, 5, 30) || two.result(nil).valid() {
		t.Error("an empty frame started a deconvolution")
	}
}

func TestDeblurRestoresMotionBlur(t *testing.T) {
	// Random 4 px modules smeared by a 7 px motion along rows: the blur
	// direction must be found, and the deconvolution must come closer to
	// the modules than the blurred frame.
	const w, h, l = 96, 96, 7
	r := rand.New(rand.NewPCG(4, 4))
	dark := make([]bool, (w/4)*(h/4))
	for i := range dark {
		dark[i] = r.IntN(2) == 0
	}
	sharp := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for i := range sharp.Pix {
		if dark[(i/w/4)*(w/4)+(i%w)/4] {
			sharp.Pix[i] = 30
		} else {
			sharp.Pix[i] = 220
		}
	}
	blur := func(g Gray, degrees float64) Gray {
		in, out := make([]float32, w*h), make([]float32, w*h)
		for i, p := range g.Pix {
			in[i] = float32(p)
		}
		convolve(in, out, w, h, lineKernel(l, degrees))
		b := Gray{Pix: make([]byte, w*h), W: w, H: h}
		for i, v := range out {
			b.Pix[i] = byte(v + 0.5)
		}
		return b
	}
	diff := func(a, b Gray) int {
		s := 0
		for y := 8; y < h-8; y++ { // edges clamp differently
			for x := 8; x < w-8; x++ {
				d := int(a.Pix[y*w+x]) - int(b.Pix[y*w+x])
				s += max(d, -d)
			}
		}
		return s
	}
	blurred := blur(sharp, 0)
	if dir, aniso := BlurDirection(blurred); aniso > maxAnisotropy || (dir > 10 && dir < 170) {
		t.Errorf("BlurDirection = %.0f° anisotropy %.2f, want about 0° and under %.1f", dir, aniso, maxAnisotropy)
	}
	if _, aniso := BlurDirection(sharp); aniso < maxAnisotropy {
		t.Errorf("sharp pattern: anisotropy %.2f, want over %.1f", aniso, maxAnisotropy)
	}
	got, before := diff(Deblur(blurred, l, 0, 20), sharp), diff(blurred, sharp)
	if got*4 > before*3 {
		t.Errorf("deblurred error %d, blurred %d: want a quarter less at least", got, before)
	}
	if wrong := diff(Deblur(blurred, l, 90, 20), sharp); wrong <= got {
		t.Errorf("deblurring across the blur (error %d) did as well as along it (%d)", wrong, got)
	}
}

func TestCandidates(t *testing.T) {
	flat := Gray{Pix: bytes.Repeat([]byte{128}, 640*480), W: 640, H: 480}
	if c := Candidates(flat, 3); len(c) != 0 {
		t.Errorf("flat frame: candidates %v, want none", c)
	}
	// A 96×96 checkerboard patch at (320,160) on a flat grey frame.
	patch := Gray{Pix: bytes.Repeat([]byte{128}, 640*480), W: 640, H: 480}
	for y := 160; y < 256; y++ {
		for x := 320; x < 416; x++ {
			if (x/6+y/6)%2 == 0 {
				patch.Pix[y*640+x] = 20
			} else {
				patch.Pix[y*640+x] = 240
			}
		}
	}
	c := Candidates(patch, 3)
	if len(c) != 1 {
		t.Fatalf("patch frame: candidates %v, want one", c)
	}
	r := c[0]
	if r.X > 320 || r.Y > 160 || r.X+r.W < 416 || r.Y+r.H < 256 || r.W > 200 || r.H > 200 {
		t.Errorf("patch frame: candidate %v does not tightly cover the patch at 320,160 96x96", r)
	}
}

func TestFromImage(t *testing.T) {
	r := image.Rect(0, 0, 2, 1)
	gray16 := image.NewGray16(r)
	gray16.SetGray16(1, 0, color.Gray16{Y: 0xab00})
	nrgba := image.NewNRGBA(r)
	nrgba.SetNRGBA(1, 0, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	ycc.Y[1] = 99
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White})
	pal.SetColorIndex(1, 0, 1)
	cmyk := image.NewCMYK(r) // through At()
	cmyk.SetCMYK(0, 0, color.CMYK{K: 255})
	tests := []struct {
		name string
		img  image.Image
		want []byte
	}{
		{"gray16", gray16, []byte{0, 0xab}},
		{"nrgba", nrgba, []byte{0, 255}},
		{"ycbcr", ycc, []byte{0, 99}},
		{"paletted", pal, []byte{0, 255}},
		{"cmyk", cmyk, []byte{0, 255}},
		{"sub-image", nrgba.SubImage(image.Rect(1, 0, 2, 1)), []byte{255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromImage(tt.img); !bytes.Equal(got.Pix, tt.want) {
				t.Errorf("FromImage = %v, want %v", got.Pix, tt.want)
			}
		})
	}
}

// FuzzEnhance feeds arbitrary buffers and sizes to the frame helpers: none
// may panic, and each must return a frame of the size it promises.
func FuzzEnhance(f *testing.F) {
	f.Add([]byte{0, 255, 3, 9}, 2, 2)
	f.Add(bytes.Repeat([]byte{7}, 100), 10, 10)
	f.Add([]byte{}, 0, 0)
	f.Add([]byte{1, 2, 3}, 5, 5)
	f.Add(bytes.Repeat([]byte{0, 255}, 40*40), 80, 40)
	f.Fuzz(func(t *testing.T, pix []byte, w, h int) {
		if w > 1<<10 || h > 1<<10 {
			return
		}
		g := Gray{Pix: pix, W: w, H: h}
		ok := g.valid()
		check := func(name string, out Gray, wantW, wantH int) {
			if !ok {
				if out.valid() {
					t.Errorf("%s of an invalid frame returned %dx%d", name, out.W, out.H)
				}
				return
			}
			if out.W != wantW || out.H != wantH || len(out.Pix) < out.W*out.H {
				t.Errorf("%s: %dx%d (%d bytes), want %dx%d", name, out.W, out.H, len(out.Pix), wantW, wantH)
			}
		}
		check("Stretch", Stretch(g, nil), w, h)
		check("Sharpen", Sharpen(g, nil), w, h)
		check("FlattenBackground", FlattenBackground(g, nil), w, h)
		check("Up2", Up2(g, nil), 2*w, 2*h)
		dw, dh := w/2, h/2
		if dw == 0 || dh == 0 {
			dw, dh = w, h
		}
		check("Down2", Down2(g, nil), dw, dh)
		for _, r := range Candidates(g, 3) {
			if r.X < 0 || r.Y < 0 || r.W <= 0 || r.H <= 0 || r.X+r.W > w || r.Y+r.H > h {
				t.Errorf("candidate %v outside %dx%d", r, w, h)
			}
			CropStretch(g, r, nil)
		}
		CropStretch(g, Rect{-3, -3, w + 9, h + 9}, nil)
		if w*h <= 64*64 {
			check("Deblur", Deblur(g, float64(1+w%7), float64(h%180), 2), w, h)
			BlurDirection(g)
		}
		if w*h <= 256*256 {
			NewDecoder().Decode(g)
			NewDecoder().tryGrid(g, false)
		}
		c, widths := FinderPatterns(g, Rect{-1, -1, w + 2, h + 2}, 40)
		if len(c) != len(widths) {
			t.Errorf("FinderPatterns: %d centres, %d widths", len(c), len(widths))
		}
		for i, p := range c {
			if p.X < 0 || p.Y < 0 || p.X >= w || p.Y >= h || widths[i] < finderMinTotal {
				t.Errorf("finder pattern %v (width %d) outside %dx%d", p, widths[i], w, h)
			}
		}
		if l := Lag1(g, Rect{0, 0, w, h}); l < -1.0001 || l > 1.0001 {
			t.Errorf("Lag1 = %v, outside -1..1", l)
		}
		var s finderScratch
		s.likelyCode(g, Rect{w / 3, h / 4, w, h})
	})
}

// TestConvolveMatchesNaive checks the fast interior path of convolve
// against a per-pixel clamped sum, for frames smaller and larger than the
// kernel and for several directions.
func TestConvolveMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range [][2]int{{1, 1}, {3, 2}, {7, 9}, {40, 23}} {
		for _, deg := range []float64{0, 33, 90, 135, 170} {
			w, h := size[0], size[1]
			k := lineKernel(5, deg)
			in := make([]float32, w*h)
			for i := range in {
				in[i] = float32(r.IntN(256))
			}
			got := make([]float32, w*h)
			convolve(in, got, w, h, k)
			for y := range h {
				for x := range w {
					var want float32
					for _, tp := range k {
						xx, yy := min(max(x+tp.dx, 0), w-1), min(max(y+tp.dy, 0), h-1)
						want += in[yy*w+xx] * tp.w
					}
					if d := got[y*w+x] - want; d > 0.01 || d < -0.01 {
						t.Fatalf("%dx%d at %.0f°: (%d,%d) = %v, want %v", w, h, deg, x, y, got[y*w+x], want)
					}
				}
			}
		}
	}
}

// up2Ref is Up2 computed pixel by pixel from bilinearTaps.
func up2Ref(g Gray) Gray {
	w, h := g.W*2, g.H*2
	dst := make([]byte, w*h)
	for y := 0; y < h; y++ {
		sy0, sy1, fy := bilinearTaps(y, g.H)
		r0 := g.Pix[sy0*g.W : (sy0+1)*g.W]
		r1 := g.Pix[sy1*g.W : (sy1+1)*g.W]
		out := dst[y*w : (y+1)*w]
		for x := range out {
			sx0, sx1, fx := bilinearTaps(x, g.W)
			top := int(r0[sx0])*(4-fx) + int(r0[sx1])*fx
			bot := int(r1[sx0])*(4-fx) + int(r1[sx1])*fx
			out[x] = byte((top*(4-fy) + bot*fy + 8) >> 4)
		}
	}
	return Gray{Pix: dst, W: w, H: h}
}

// TestUp2MatchesTaps checks Up2's interior fast path against up2Ref.
func TestUp2MatchesTaps(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {3, 2}, {5, 7}, {64, 33}} {
		g := Gray{Pix: make([]byte, sz[0]*sz[1]), W: sz[0], H: sz[1]}
		for i := range g.Pix {
			g.Pix[i] = byte(r.IntN(256))
		}
		if !bytes.Equal(Up2(g, nil).Pix, up2Ref(g).Pix) {
			t.Errorf("Up2 of %dx%d differs from the per-pixel taps", sz[0], sz[1])
		}
	}
}
