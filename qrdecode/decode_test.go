package qrdecode

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// entry is one line of a QR set manifest.
type entry struct {
	File string `json:"file"`
	Text string `json:"text"`
}

func loadManifest(t testing.TB, dir string) []entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []entry
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest %s: %v", dir, err)
	}
	if len(m) == 0 {
		t.Fatalf("manifest %s is empty", dir)
	}
	return m
}

func loadFrame(t testing.TB, path string) Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return FromImage(img)
}

// zbarReads reports which files zbarimg decodes to the expected text, or
// nil when zbarimg is not installed.
func zbarReads(t testing.TB, dir string, m []entry) map[string]bool {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		return nil
	}
	ok := map[string]bool{}
	for _, e := range m {
		out, _ := exec.Command("zbarimg", "-q", "--raw", filepath.Join(dir, e.File)).Output()
		for _, line := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
			if line == e.Text {
				ok[e.File] = true
			}
		}
	}
	return ok
}

// hardThreshold is the share of the hard set required when zbarimg is not
// installed to compute the zbar set: zbarimg 0.23 reads 20 of the 24
// frames (all but the four motion-blurred ones).
const hardThreshold = 20

func TestDecodeSets(t *testing.T) {
	d := NewDecoder()
	steps := map[string]int{}
	d.Trace = func(s string) { steps[s]++ }
	thorough := NewDecoder()
	thorough.Thorough = true
	thoroughSteps := map[string]int{}
	thorough.Trace = func(s string) { thoroughSteps[s]++ }
	for _, set := range []string{"qr", "qr-hard"} {
		t.Run(set, func(t *testing.T) {
			dir := testdata.Set(t, set)
			m := loadManifest(t, dir)
			got, gotThorough := map[string]bool{}, map[string]bool{}
			for _, e := range m {
				g := loadFrame(t, filepath.Join(dir, e.File))
				for _, txt := range d.Decode(g) {
					if txt == e.Text {
						got[e.File] = true
					} else {
						t.Errorf("%s: decoded %q, not the manifest text", e.File, txt)
					}
				}
				for _, txt := range thorough.Decode(g) {
					if txt == e.Text {
						gotThorough[e.File] = true
					} else {
						t.Errorf("%s: thorough mode decoded %q, not the manifest text", e.File, txt)
					}
				}
			}
			for f := range got {
				if !gotThorough[f] {
					t.Errorf("%s: decoded by the camera mode but not by the thorough mode", f)
				}
			}
			t.Logf("%s: decoded %d of %d (thorough mode %d)", set, len(got), len(m), len(gotThorough))
			switch set {
			case "qr":
				for _, e := range m {
					if !got[e.File] {
						t.Errorf("%s: not decoded (the easy set must decode fully)", e.File)
					}
				}
			case "qr-hard":
				// The thorough mode (markd decode) reads the whole set,
				// motion blur included, which neither zbar nor zxing-cpp do.
				for _, e := range m {
					if !gotThorough[e.File] {
						t.Errorf("%s: not decoded by the thorough mode", e.File)
					}
				}
				zbar := zbarReads(t, dir, m)
				if zbar == nil {
					if len(got) < hardThreshold {
						t.Errorf("decoded %d of the hard set, want at least %d", len(got), hardThreshold)
					}
					return
				}
				for f := range zbar {
					if !got[f] {
						t.Errorf("%s: zbarimg reads it, we do not", f)
					}
				}
				t.Logf("zbarimg decodes %d of %d", len(zbar), len(m))
			}
		})
	}
	t.Logf("decoding steps used: %v; thorough mode: %v", steps, thoroughSteps)
}

func TestDecodeEdgeFrames(t *testing.T) {
	d := NewDecoder()
	tests := []struct {
		name string
		g    Gray
	}{
		{"empty", Gray{}},
		{"1x1", Gray{Pix: []byte{0}, W: 1, H: 1}},
		{"flat", Gray{Pix: bytes.Repeat([]byte{200}, 640*480), W: 640, H: 480}},
		{"short buffer", Gray{Pix: make([]byte, 10), W: 640, H: 480}},
		{"stripes", stripes(320, 240)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Decode(tt.g); len(got) != 0 {
				t.Errorf("Decode = %q, want nothing", got)
			}
		})
	}
}

func stripes(w, h int) Gray {
	g := Gray{Pix: make([]byte, w*h), W: w, H: h}
	for i := range g.Pix {
		if (i%w)/4%2 == 0 {
			g.Pix[i] = 255
		}
	}
	return g
}

func TestNewGray(t *testing.T) {
	tests := []struct {
		n, w, h int
		ok      bool
	}{
		{12, 4, 3, true},
		{20, 4, 3, true},
		{11, 4, 3, false},
		{0, 0, 0, false},
		{4, -2, -2, false},
	}
	for _, tt := range tests {
		g, err := NewGray(make([]byte, tt.n), tt.w, tt.h)
		if (err == nil) != tt.ok {
			t.Errorf("NewGray(%d bytes, %dx%d) err = %v, want ok=%v", tt.n, tt.w, tt.h, err, tt.ok)
		}
		if err == nil && len(g.Pix) != tt.w*tt.h {
			t.Errorf("NewGray: %d pixels, want %d", len(g.Pix), tt.w*tt.h)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct{ name, set, file string }{
		{"720p-hybrid", "qr-hard", "h1-shadow.png"},
		{"720p-small", "qr-hard", "h1-small.png"},
		{"720p-faint", "qr-hard", "h1-faint.png"},
		{"720p-motion-fail", "qr-hard", "h1-motion.png"},
		{"1080p", "qr-hard", "h1-hd.png"},
		{"720p-noisy", "qr", "m1-noisy.png"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g := loadFrame(b, filepath.Join(testdata.Set(b, tc.set), tc.file))
			benchDecode(b, g)
		})
	}
	b.Run("720p-empty", func(b *testing.B) {
		g := Gray{Pix: bytes.Repeat([]byte{180}, 1280*720), W: 1280, H: 720}
		benchDecode(b, g)
	})
}

// TestDecodeWarped pins what we read of testdata/qr-warped (drawn by
// bench/qr/warped.sh): codes in perspective at about 2 px per module,
// tilted away, around a cylinder, on wrinkled paper. zbar reads three of
// the sixteen (persp), zxing-cpp 1.4 four (tilt). gozxing's detector reads
// two (w1- and w4-persp); our own grid sampling (grid.go) reads the other
// two in perspective, the four tilted and the four on a cylinder, each on
// the first frame in both modes, and through the module-edge phase mesh
// (gridphase.go) the four on wrinkled paper (before it none of them).
func TestDecodeWarped(t *testing.T) {
	dir := filepath.Join("testdata", "qr-warped")
	m := loadManifest(t, dir)
	if len(m) != 16 {
		t.Fatalf("qr-warped has %d frames, want 16", len(m))
	}
	byGrid := []string{
		"w2-persp.png", "w3-persp.png",
		"w1-tilt.png", "w2-tilt.png", "w3-tilt.png", "w4-tilt.png",
		"w1-cylinder.png", "w2-cylinder.png", "w3-cylinder.png", "w4-cylinder.png",
		"w1-wrinkle.png", "w2-wrinkle.png", "w3-wrinkle.png", "w4-wrinkle.png",
	}
	want := append([]string{"w1-persp.png", "w4-persp.png"}, byGrid...)
	for _, thorough := range []bool{false, true} {
		read, steps := map[string]bool{}, map[string]string{}
		for _, e := range m {
			g := loadFrame(t, filepath.Join(dir, e.File))
			d := NewDecoder()
			d.Thorough = thorough
			d.Trace = func(s string) { steps[e.File] = s }
			got := d.Decode(g)
			for _, txt := range got {
				if txt != e.Text {
					t.Errorf("%s: decoded %q, not the manifest text", e.File, txt)
				}
			}
			read[e.File] = len(got) > 0
		}
		for _, f := range want {
			if !read[f] {
				t.Errorf("thorough=%v: %s is not read on the first frame", thorough, f)
			}
		}
		for _, f := range byGrid {
			if read[f] && steps[f] != "grid" {
				t.Logf("thorough=%v: %s read by %s, not the grid sampling", thorough, f, steps[f])
			}
		}
		n := 0
		for _, ok := range read {
			if ok {
				n++
			}
		}
		t.Logf("thorough=%v: read %d of %d", thorough, n, len(m))
	}
}

// benchDecode times d.Decode of g with a fresh decoder, its CPU reported
// beside the time (reportCPU).
func benchDecode(b *testing.B, g Gray) {
	b.Helper()
	d := NewDecoder()
	b.ResetTimer()
	defer reportCPU(b, processCPU())
	for range b.N {
		d.Decode(g)
	}
}
