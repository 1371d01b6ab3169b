package qrdecode

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"markd/internal/testdata"
)

// emptyScene is one camera frame without a code, drawn by ffmpeg from
// testdata/empty-scenes.txt (the same graphs bench/qr.sh times).
type emptyScene struct {
	name string
	g    Gray
}

func emptyScenes(t testing.TB, sizes ...string) []emptyScene {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg draws the empty scenes (.ci/packages.txt): %v", err)
	}
	f, err := os.Open(filepath.Join("testdata", "empty-scenes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []emptyScene
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<16)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, graph, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("empty-scenes.txt: no tab in %q", line)
		}
		for _, size := range sizes {
			ws, hs, _ := strings.Cut(size, "x")
			w, _ := strconv.Atoi(ws)
			h, _ := strconv.Atoi(hs)
			cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
				"-f", "lavfi", "-i", strings.ReplaceAll(graph, "SIZE", size),
				"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			pix, err := cmd.Output()
			if err != nil {
				t.Fatalf("ffmpeg %s %s: %v: %s", name, size, err, stderr.Bytes())
			}
			g, err := NewGray(pix, w, h)
			if err != nil {
				t.Fatalf("%s %s: %v", name, size, err)
			}
			out = append(out, emptyScene{name + "-" + size, g})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 5 {
		t.Fatalf("only %d empty scenes", len(out))
	}
	return out
}

// TestRejectEmptyScenes: the camera mode makes no gozxing attempt at all on
// frames without a code: a test card, random and sensor noise, an envelope
// on a desk, and a cluttered desk (text, a 1-D barcode, a fractal poster,
// colour bars, a keyboard grid). Without the cheap rejection each of these
// cost 2–60 ms.
func TestRejectEmptyScenes(t *testing.T) {
	for _, sc := range emptyScenes(t, "1280x720", "1920x1080") {
		t.Run(sc.name, func(t *testing.T) {
			d := NewDecoder()
			for range 2 * len(expensiveSteps) {
				if got := d.Decode(sc.g); len(got) > 0 {
					t.Fatalf("decoded %q", got)
				}
				if d.CodeInView() {
					t.Fatal("CodeInView on a frame without a code: the camera would never see its view clear")
				}
			}
			if d.attempts != 0 {
				t.Errorf("%d gozxing attempts on a frame without a code, want 0", d.attempts)
			}
		})
	}
}

// TestCameraModeKeepsReads pins what the camera mode reads, frame by frame:
// on a fresh decoder every frame of both sets except h4-motion, and that
// one too when the code stays in view for as many frames as there are
// deblurring combinations.
//
// h1-, h2- and h3-motion read through the grid sampling of a code
// deblurred with gridIters iterations, the cheaper of the two deblurring
// reads (h1 on the first frame since the finder triple is chosen by its
// timing patterns too).
func TestCameraModeKeepsReads(t *testing.T) {
	notCold := map[string]bool{"h4-motion.png": true}
	byGrid := map[string]bool{"h1-motion.png": true, "h2-motion.png": true, "h3-motion.png": true}
	for _, set := range []string{"qr", "qr-hard"} {
		dir := testdata.Set(t, set)
		for _, e := range loadManifest(t, dir) {
			g := loadFrame(t, filepath.Join(dir, e.File))
			d := NewDecoder()
			step := ""
			d.Trace = func(s string) { step = s }
			got := d.Decode(g)
			cold := len(got) == 1 && got[0] == e.Text
			if !d.CodeInView() {
				// read or not, a code in view keeps the camera's hold
				t.Errorf("%s/%s: CodeInView false on a frame with a code", set, e.File)
			}
			if !cold && !notCold[e.File] {
				t.Errorf("%s/%s: not read on a fresh decoder (%q)", set, e.File, got)
			}
			if byGrid[e.File] && step != "deblur/grid" {
				t.Errorf("%s/%s: read by %q, want deblur/grid", set, e.File, step)
			}
			held := cold
			for i := 0; i < len(deblurTurns)*len(deblurLengths) && !held; i++ {
				got = d.Decode(g)
				held = len(got) == 1 && got[0] == e.Text
			}
			if !held {
				t.Errorf("%s/%s: not read within %d frames", set, e.File, len(deblurTurns)*len(deblurLengths)+1)
			}
		}
	}
}

// qrFrame draws text as a QR code of size px, pasted at (x, y) into a
// w×h frame of paper grey.
func qrFrame(t testing.TB, text string, size, w, h, x, y int) Gray {
	t.Helper()
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := Gray{Pix: bytes.Repeat([]byte{190}, w*h), W: w, H: h}
	paste(g, FromImage(bm), x, y)
	return g
}

func TestFinderPatterns(t *testing.T) {
	code := qrFrame(t, "EPM1:FINDER-PATTERN-TEST-0123456789", 290, 640, 480, 100, 80)
	noise := Gray{Pix: make([]byte, 320*240), W: 320, H: 240}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.IntN(256))
	}
	tests := []struct {
		name       string
		g          Gray
		finders    bool // the three real finder patterns must be among those found
		likelyCode bool
	}{
		{"code", code, true, true},
		{"flat", Gray{Pix: bytes.Repeat([]byte{128}, 200*200), W: 200, H: 200}, false, false},
		{"1-D barcode", stripes(320, 240), false, false},
		{"noise", noise, false, false},
		{"text", textLines(640, 480, 7), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full := Rect{0, 0, tt.g.W, tt.g.H}
			c, w := FinderPatterns(tt.g, full, finderMaxFound)
			if tt.finders {
				for _, want := range finderCentres(tt.g) {
					if !foundNear(c, want.c, want.l/4) {
						t.Errorf("finder pattern at %v (width %d) not found among %v", want.c, want.l, c)
					}
				}
				for i := range w {
					if w[i] < finderMinTotal {
						t.Errorf("pattern %v of width %d", c[i], w[i])
					}
				}
			}
			var s finderScratch
			if got := s.likelyCode(tt.g, full); got != tt.likelyCode {
				t.Errorf("likelyCode = %v, want %v (%d patterns)", got, tt.likelyCode, len(c))
			}
		})
	}
}

// finderCentres returns where the three finder patterns of the one
// upright code in g are: the first dark run of its first dark row is a
// finder's width.
func finderCentres(g Gray) []struct {
	c Point
	l int
} {
	minX, minY, maxX, maxY := g.W, g.H, -1, -1
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			if g.Pix[y*g.W+x] < 64 {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	l := 0
	for x := minX; x < g.W && g.Pix[minY*g.W+x] < 64; x++ {
		l++
	}
	return []struct {
		c Point
		l int
	}{
		{Point{minX + l/2, minY + l/2}, l},
		{Point{maxX - l/2, minY + l/2}, l},
		{Point{minX + l/2, maxY - l/2}, l},
	}
}

func foundNear(found []Point, p Point, d int) bool {
	for _, f := range found {
		if abs(f.X-p.X) <= d && abs(f.Y-p.Y) <= d {
			return true
		}
	}
	return false
}

func TestRatioOK(t *testing.T) {
	tests := []struct {
		runs [5]int
		want bool
	}{
		{[5]int{2, 2, 6, 2, 2}, true},
		{[5]int{3, 3, 9, 3, 3}, true},
		{[5]int{2, 3, 5, 2, 3}, true},   // blur and rounding
		{[5]int{1, 1, 3, 1, 1}, false},  // under finderMinTotal: not decodable
		{[5]int{4, 4, 4, 4, 4}, false},  // even stripes
		{[5]int{2, 2, 16, 2, 2}, false}, // centre too wide
		{[5]int{6, 2, 6, 2, 2}, false},  // outer run too wide
		{[5]int{10, 10, 30, 10, 10}, true},
	}
	for _, tt := range tests {
		if got := ratioOK(tt.runs); got != tt.want {
			t.Errorf("ratioOK(%v) = %v, want %v", tt.runs, got, tt.want)
		}
	}
	// the grid sampling's second look (gridMinSmall) takes 8 and 9 px
	// patterns the scan leaves out, never a smaller one
	for _, tt := range []struct {
		runs      [5]int
		scan, two bool
	}{
		{[5]int{1, 1, 4, 1, 1}, false, true},
		{[5]int{1, 1, 3, 2, 2}, false, true},
		{[5]int{1, 1, 3, 1, 1}, false, false},
		{[5]int{2, 2, 6, 2, 2}, true, true},
	} {
		if got := ratioMinOK(tt.runs, finderMinTotal); got != tt.scan {
			t.Errorf("ratioMinOK(%v, %d) = %v, want %v", tt.runs, finderMinTotal, got, tt.scan)
		}
		if got := ratioMinOK(tt.runs, gridMinSmall); got != tt.two {
			t.Errorf("ratioMinOK(%v, %d) = %v, want %v", tt.runs, gridMinSmall, got, tt.two)
		}
	}
}

// TestTriangle checks the geometry of three patterns, without the timing
// pattern (no pixels behind them).
func TestTriangle(t *testing.T) {
	var f finderScan
	var untimed bool
	f.untimed = &untimed
	tests := []struct {
		name string
		pts  [3]Point
		w    [3]int
		want bool
	}{
		{"square code", [3]Point{{100, 100}, {300, 100}, {100, 300}}, [3]int{28, 28, 28}, true},
		{"rotated", [3]Point{{200, 50}, {341, 191}, {59, 191}}, [3]int{28, 28, 28}, true},
		{"perspective", [3]Point{{100, 100}, {330, 120}, {110, 280}}, [3]int{30, 24, 26}, true},
		{"in a line", [3]Point{{100, 100}, {200, 100}, {300, 100}}, [3]int{28, 28, 28}, false},
		{"legs too short", [3]Point{{100, 100}, {130, 100}, {100, 130}}, [3]int{28, 28, 28}, false},
		{"widths differ", [3]Point{{100, 100}, {300, 100}, {100, 300}}, [3]int{14, 28, 28}, false},
		{"legs differ", [3]Point{{100, 100}, {400, 100}, {100, 200}}, [3]int{28, 28, 28}, false},
	}
	for _, tt := range tests {
		if got := f.triangle(tt.pts, tt.w, false); got != tt.want {
			t.Errorf("%s: triangle = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLag1(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	noise := Gray{Pix: make([]byte, 100*100), W: 100, H: 100}
	for i := range noise.Pix {
		noise.Pix[i] = byte(r.IntN(256))
	}
	code := qrFrame(t, "EPM1:LAG", 200, 240, 240, 20, 20)
	tests := []struct {
		name   string
		g      Gray
		lo, hi float64
	}{
		{"flat", Gray{Pix: bytes.Repeat([]byte{9}, 50*50), W: 50, H: 50}, 1, 1},
		{"noise", noise, -0.2, minLag1},
		{"code", code, 0.7, 1},
		{"1-px stripes", stripes1(64, 64), -1.0001, -0.9},
	}
	for _, tt := range tests {
		if got := Lag1(tt.g, Rect{0, 0, tt.g.W, tt.g.H}); got < tt.lo || got > tt.hi {
			t.Errorf("%s: Lag1 = %.3f, want %.2f..%.2f", tt.name, got, tt.lo, tt.hi)
		}
	}
}

// stripes1 alternates black and white pixel columns.
func stripes1(w, h int) Gray {
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for i := range g.Pix {
		if i%w%2 == 0 {
			g.Pix[i] = 255
		}
	}
	return g
}

func BenchmarkReject(b *testing.B) {
	for _, sc := range emptyScenes(b, "1280x720") {
		b.Run(sc.name, func(b *testing.B) {
			d := NewDecoder()
			defer reportCPU(b, processCPU())
			for range b.N {
				d.Decode(sc.g)
			}
		})
	}
}
