package qrdecode

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"markd/internal/testdata"
)

// naiveRanges is the region search's block measure written plainly: per
// 16 px block, max−min of the horizontal pair means on every third row.
func naiveRanges(g Gray) []uint8 {
	bw, bh := (g.W+regionBlock-1)/regionBlock, (g.H+regionBlock-1)/regionBlock
	out := make([]uint8, bw*bh)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			lo, hi := 255, 0
			for y := by * regionBlock; y < min((by+1)*regionBlock, g.H); y++ {
				if y%3 != 0 {
					continue
				}
				// pairs start on even columns, within the 8 px block
				for x := bx * regionBlock; x+1 < min((bx+1)*regionBlock, g.W); x += 2 {
					if x/extBlock != (x+1)/extBlock {
						continue
					}
					v := (int(g.Pix[y*g.W+x]) + int(g.Pix[y*g.W+x+1])) / 2
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			if hi > lo {
				out[by*bw+bx] = uint8(hi - lo)
			}
		}
	}
	return out
}

func TestBlockExtremesRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, size := range [][2]int{{64, 64}, {67, 53}, {1280, 720}, {333, 241}} {
		g := Gray{Pix: make([]byte, size[0]*size[1]), W: size[0], H: size[1]}
		for i := range g.Pix {
			g.Pix[i] = byte(r.IntN(256))
		}
		var e blockExtremes
		e.measure(g)
		bw, bh := (g.W+regionBlock-1)/regionBlock, (g.H+regionBlock-1)/regionBlock
		got, want := e.ranges(bw, bh), naiveRanges(g)
		if !bytes.Equal(got, want) {
			t.Errorf("%dx%d: block ranges differ from the plain measure", g.W, g.H)
		}
	}
}

// TestFinderScanSharesExtremes: the camera mode's gate, fed the region
// search's block extremes instead of reading each region again, decides
// as the region's own measure does on every frame of the sets and the
// empty scenes; and a measure of another frame in the same buffer (the
// camera reuses its buffers) is never taken for this one.
func TestFinderScanSharesExtremes(t *testing.T) {
	var frames []Gray
	for _, set := range []string{"qr", "qr-hard"} {
		dir := testdata.Set(t, set)
		for _, e := range loadManifest(t, dir) {
			frames = append(frames, loadFrame(t, filepath.Join(dir, e.File)))
		}
	}
	for _, e := range loadManifest(t, filepath.Join("testdata", "qr-warped")) {
		frames = append(frames, loadFrame(t, filepath.Join("testdata", "qr-warped", e.File)))
	}
	for _, sc := range emptyScenes(t, "1280x720") {
		frames = append(frames, sc.g)
	}
	passed := 0
	for i, g := range frames {
		var ext blockExtremes
		cands, _, _ := candidates(g, maxCandidates, &ext)
		for _, r := range cands {
			var own, shared finderScratch
			shared.frame = &ext
			a, b := own.likelyCode(g, r), shared.likelyCode(g, r)
			if a != b {
				t.Errorf("frame %d region %v: gate %v with its own measure, %v with the frame's", i, r, a, b)
			}
			if a {
				passed++
			}
		}
	}
	if passed == 0 {
		t.Fatal("no region passed the gate: the comparison says nothing")
	}

	// a measured frame, then another one in the same buffer
	buf := bytes.Repeat([]byte{128}, 640*480)
	g := Gray{Pix: buf, W: 640, H: 480}
	var ext blockExtremes
	candidates(g, maxCandidates, &ext)
	if !ext.of(g) {
		t.Fatal("the measured frame is not recognised")
	}
	small := Gray{Pix: buf[:40*30], W: 40, H: 30}
	candidates(small, maxCandidates, &ext)
	if ext.of(small) || ext.of(g) {
		t.Error("a measure is taken for a frame it was not made of")
	}
}

// TestCodeBox: of a region holding a code on a white card on a textured
// desk, codeBox keeps the code and its smear margin and leaves out the
// card's edges (a strip, not a dense area).
func TestCodeBox(t *testing.T) {
	g := Gray{Pix: make([]byte, 640*480), W: 640, H: 480}
	r := rand.New(rand.NewPCG(9, 9))
	for i := range g.Pix {
		g.Pix[i] = byte(110 + r.IntN(8)) // the desk
	}
	for y := 100; y < 380; y++ { // the card, 60 px beyond the code
		for x := 200; x < 480; x++ {
			g.Pix[y*g.W+x] = 235
		}
	}
	code := qrFrame(t, "EPM1:CODE-BOX-TEST-0123456789", 160, 160, 160, 0, 0)
	for y := range 160 {
		for x := range 160 {
			if v := code.Pix[y*160+x]; v < 100 {
				g.Pix[(160+y)*g.W+260+x] = v
			}
		}
	}
	var e blockExtremes
	e.measure(g)
	region := Rect{176, 80, 320, 320}          // on the 8 px grid
	box := e.codeBox(region, deblurCodeMargin) // rows are sampled every third: the margin covers that too
	// the dark modules span about 260..420 × 160..320 (the writer's quiet
	// zone is white too)
	dark := Rect{g.W, g.H, 0, 0}
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			if g.Pix[y*g.W+x] < 100 {
				dark.X, dark.Y = min(dark.X, x), min(dark.Y, y)
				dark.W, dark.H = max(dark.W, x), max(dark.H, y)
			}
		}
	}
	if box.X > dark.X || box.Y > dark.Y || box.X+box.W <= dark.W || box.Y+box.H <= dark.H {
		t.Errorf("box %v does not hold the code's modules %d,%d–%d,%d", box, dark.X, dark.Y, dark.W, dark.H)
	}
	if box.X <= 200 || box.Y <= 100 || box.X+box.W >= 480 || box.Y+box.H >= 380 {
		t.Errorf("box %v reaches the card's edge (200,100–480,380)", box)
	}
	if m := e.codeBox(region, deblurCodeMargin+5); m.X != box.X-5 || m.W != box.W+10 {
		t.Errorf("5 px more margin: %v, want %v widened by 5", m, box)
	}
	var none blockExtremes
	if got := none.codeBox(region, 0); got != region {
		t.Errorf("unmeasured: %v, want the region", got)
	}
}
