package scanner

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestCameraMarkInWhiteSpace: a version 40 code holding a mark and 4 100
// spaces after it (4 272 alphanumeric characters, what an L-level code
// holds) is the mark (MARK-FORMAT §1: surrounding white space is ignored,
// and the 4 KiB limit applies to the text without it): the camera passes
// on the mark itself, not a text over the limit that the pipeline would
// judge too long.
func TestCameraMarkInWhiteSpace(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	if _, err := exec.LookPath("qrencode"); err != nil {
		t.Skip("qrencode not installed (Debian package qrencode)")
	}
	_, texts := cameraTestdata(t)
	var epm string
	for _, text := range texts {
		if strings.HasPrefix(text, mark.Prefix) {
			epm = text
			break
		}
	}
	if epm == "" {
		t.Fatal("no mark in the qr manifest")
	}
	content := epm + strings.Repeat(" ", 4100)
	if len(content) <= mark.MaxInputSize {
		t.Fatalf("content %d bytes: the test needs more than %d", len(content), mark.MaxInputSize)
	}
	dir := t.TempDir()
	code := filepath.Join(dir, "code.png")
	if b, err := exec.Command("qrencode", "-l", "L", "-s", "3", "-m", "4", "-o", code, content).CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v\n%s", err, b)
	}
	frame := filepath.Join(dir, "frame.png")
	padFrame(t, code, frame, 1280, 720)
	video := filepath.Join(dir, "code.mkv")
	makeVideo(t, video, "ffv1", []string{frame}, 1, 0.2)
	_, scans := playOnce(t, CameraConfig{Input: video, Hold: time.Hour})
	if len(scans) != 1 {
		t.Fatalf("%d scans emitted, want the one code", len(scans))
	}
	if s := scans[0]; s.Text != epm || s.Length != 0 {
		t.Errorf("emitted %d bytes (length %d), want the mark's %d bytes alone", len(s.Text), s.Length, len(epm))
	}
}

// padFrame centres the image at in on a white w×h canvas written to out.
func padFrame(t *testing.T, in, out string, w, h int) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", in, err)
	}
	b := img.Bounds()
	if b.Dx() > w || b.Dy() > h {
		t.Fatalf("%s is %dx%d, larger than the %dx%d frame", in, b.Dx(), b.Dy(), w, h)
	}
	canvas := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
	draw.Draw(canvas, b.Sub(b.Min).Add(at), img, b.Min, draw.Src)
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(o, canvas); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
}
