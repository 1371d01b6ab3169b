//go:build unix

package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"markd/config"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/scanner"
)

// TestCameraSameMarkTwice runs the daemon with a camera that sees what a
// counter camera sees: an envelope with a signed mark held 1.5 s, the
// empty counter for 1 s, then a second envelope with the same mark (a
// copy). The first is ACCEPT with its snapshot, the second is judged too
// (DUPLICATE_SCAN, "Scanned again": the operator sees it), and a mark held
// in view is not judged again and again. The video comes through a FIFO,
// played once: a restart of ffmpeg finds no writer and reads nothing more.
func TestCameraSameMarkTwice(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (Debian package ffmpeg)")
	}
	dir := t.TempDir()
	text := signed(t, 9301)
	png, err := issuer.QRPNG(text, 400)
	if err != nil {
		t.Fatal(err)
	}
	code := filepath.Join(dir, "mark.png")
	if err := os.WriteFile(code, png, 0o600); err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(dir, "counter.mkv")
	grey := "color=c=0xb0b0b0:s=1280x720:r=10"
	if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-t", "1.5", "-i", grey, "-loop", "1", "-framerate", "10", "-t", "1.5", "-i", code,
		"-f", "lavfi", "-t", "1", "-i", grey, "-f", "lavfi", "-t", "0.5", "-i", grey,
		"-filter_complex", "[0:v][1:v]overlay=440:160[a];[a]split[a1][a2];[a1][2:v][a2][3:v]concat=n=4:v=1,format=gray[out]",
		"-map", "[out]", "-c:v", "ffv1", video).CombinedOutput(); err != nil {
		t.Fatalf("making the video: %v\n%s", err, b)
	}
	fifo := filepath.Join(dir, "camera")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // until ffmpeg opens it
		if err != nil {
			return
		}
		defer w.Close()
		b, _ := os.ReadFile(video)
		w.Write(b)
	}()
	c := testConfig(t)
	c.Sources = []config.Source{{Kind: "camera", Name: "cam", Input: fifo, Realtime: true}}
	r := start(t, Options{Config: c})
	cam := r.Sources[0].(*scanner.Camera)
	first, second := r.next(t), r.next(t)
	if first.Verdict != mark.Accept || first.Source != "cam" || len(first.Frame) == 0 {
		t.Errorf("first envelope: %s from %q with a %d-byte snapshot, want ACCEPT from cam with one", first.Verdict, first.Source, len(first.Frame))
	}
	if second.Verdict != mark.DuplicateScan || second.Source != "cam" {
		t.Errorf("second envelope with the same mark: %s from %q, want DUPLICATE_SCAN from cam", second.Verdict, second.Source)
	}
	testdata.Wait(t, 60*time.Second, "the video's end", func() bool { return cam.CameraStats().Exits >= 1 })
	select {
	case rec := <-r.recs:
		t.Errorf("a third verdict %s for two envelopes", rec.Verdict)
	default:
	}
}
