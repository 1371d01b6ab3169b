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
