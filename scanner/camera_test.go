package scanner

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/qrdecode"
)

// cameraTestdata returns ../shared/testdata/qr seen from scanner/ and its
// manifest (file → text), or skips when it is absent.
func cameraTestdata(t testing.TB) (string, map[string]string) {
	t.Helper()
	dir := testdata.Set(t, "qr")
	return dir, testdata.Manifest(t, dir)
}

func needFFmpeg(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed (Debian package ffmpeg)")
	}
	return p
}

// makeVideo writes a 1280×720 10 fps video showing each image for show
// seconds followed by gap seconds of plain grey, encoded with codec.
func makeVideo(t testing.TB, out, codec string, images []string, show, gap float64) {
	t.Helper()
	var args []string
	var filter strings.Builder
	n := 0
	for _, img := range images {
		args = append(args, "-loop", "1", "-framerate", "10", "-t", fmt.Sprint(show), "-i", img,
			"-f", "lavfi", "-t", fmt.Sprint(gap), "-i", "color=c=0xb0b0b0:s=1280x720:r=10")
		for range 2 {
			fmt.Fprintf(&filter, "[%d:v]scale=1280:720,fps=10,format=gray,setsar=1[v%d];", n, n)
			n++
		}
	}
	for i := range n {
		fmt.Fprintf(&filter, "[v%d]", i)
	}
	fmt.Fprintf(&filter, "concat=n=%d:v=1:a=0[out]", n)
	args = append(args, "-filter_complex", filter.String(), "-map", "[out]", "-c:v", codec)
	if codec == "libx264" {
		args = append(args, "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "28")
	}
	args = append([]string{"-hide_banner", "-loglevel", "error", "-y"}, append(args, out)...)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("making test video: %v\n%s", err, b)
	}
}

// scanLog collects emitted scans for a test.
type scanLog struct {
	mu    sync.Mutex
	scans []mark.Scan
}

func (l *scanLog) emit(s mark.Scan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.scans = append(l.scans, s)
}

func (l *scanLog) snapshot() []mark.Scan {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mark.Scan(nil), l.scans...)
}

// camWait polls cond until it holds; it fails the test after a generous
// bound (a hang guard, not a timing assertion).
func camWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testdata.Wait(t, 60*time.Second, what, cond)
}

// playOnce plays cfg's input (a file: Realtime, never restarted) through a
// camera to its end and returns the camera, for its stats, and what it
// emitted.
func playOnce(t *testing.T, cfg CameraConfig) (*Camera, []mark.Scan) {
	t.Helper()
	cfg.Realtime, cfg.Backoff = true, Backoff{Min: time.Hour, Max: time.Hour}
	c := NewCamera("cam", cfg, nil, nil)
	var log scanLog
	stop := serveCamera(t, c, log.emit)
	camWait(t, "the input to end", func() bool { return c.CameraStats().Exits >= 1 })
	stop()
	return c, log.snapshot()
}

// serveCamera runs c.Serve in the background; the returned stop cancels it
// and waits for Serve to return.
func serveCamera(t *testing.T, c *Camera, emit func(mark.Scan)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, emit) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestCameraVideos(t *testing.T) {
	needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	files := []string{"m1-frame.png", "m2-noisy.png", "m3-lowcontrast.png", "m4-perspective.png"}
	var images []string
	want := map[string]bool{}
	for _, f := range files {
		images = append(images, filepath.Join(dir, f))
		want[texts[f]] = true
	}
	for _, codec := range []string{"ffv1", "libx264"} {
		t.Run(codec, func(t *testing.T) {
			t.Parallel()
			video := filepath.Join(t.TempDir(), "codes.mkv")
			makeVideo(t, video, codec, images, 0.5, 0.3)
			c, scans := playOnce(t, CameraConfig{Input: video, Hold: time.Hour})
			seen := map[string]int{}
			for _, s := range scans {
				seen[s.Text]++
				if !want[s.Text] {
					t.Errorf("emitted %q: not one of the codes in the video", s.Text)
				}
				if s.Source != "cam" || s.At.IsZero() {
					t.Errorf("scan source %q at %v", s.Source, s.At)
				}
				img, err := jpeg.Decode(bytes.NewReader(s.Frame))
				if err != nil {
					t.Errorf("scan frame is not a JPEG: %v", err)
				} else if w := img.Bounds().Dx(); w > DefaultSnapshotW {
					t.Errorf("snapshot %d px wide, want at most %d", w, DefaultSnapshotW)
				}
			}
			for text := range want {
				if seen[text] != 1 {
					t.Errorf("code %.20s… emitted %d times, want once", text, seen[text])
				}
			}
			st := c.CameraStats()
			t.Logf("%s: %+v", codec, st)
			if st.FramesRead < 20 || st.FramesDecoded+st.FramesDropped != st.FramesRead {
				t.Errorf("frame accounting %+v: read must equal decoded + dropped", st)
			}
			if st.LastExit != "ffmpeg exited: input ended" {
				t.Errorf("last exit %q, want the plain end of input", st.LastExit)
			}
			if h := c.Health(); h.Up || h.Scans != int64(len(scans)) {
				t.Errorf("health after stop %+v: want down with %d scans", h, len(scans))
			}
		})
	}
}

// TestCameraHardFrames plays camera-grade frames of the hard set, each
// held for a second as an operator would hold an envelope: two
// motion-blurred codes, a small one, a faint one and one under a shadow
// must all be read, once each. The motion frames need the camera mode's deblurring, tried a
// direction and length per frame.
func TestCameraHardFrames(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir := testdata.Set(t, "qr-hard")
	texts := testdata.Manifest(t, dir)
	files := []string{"h1-motion.png", "h2-small.png", "h3-motion.png", "h4-faint.png", "h2-shadow.png"}
	var images []string
	want := map[string]bool{}
	for _, f := range files {
		images = append(images, filepath.Join(dir, f))
		want[texts[f]] = true
	}
	video := filepath.Join(t.TempDir(), "hard.mkv")
	makeVideo(t, video, "ffv1", images, 1, 0.2)
	c, scans := playOnce(t, CameraConfig{Input: video, Hold: time.Hour})
	seen := map[string]int{}
	for _, s := range scans {
		seen[s.Text]++
	}
	// h2 comes twice (small, then under a shadow), with other codes and
	// gaps of 0.2 s between (two frames, shorter than a clear view) and
	// within the hold: one scan.
	for text := range want {
		if seen[text] != 1 {
			t.Errorf("code %.24s…: emitted %d times, want once", text, seen[text])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct codes emitted, want %d", len(seen), len(want))
	}
	t.Logf("stats %+v", c.CameraStats())
}

// TestCameraDropsStaleFrames blocks the consumer on the first scan while
// the video keeps playing: the frames that arrive meanwhile must be
// dropped, not queued, and the decoder goes on with fresh frames (the
// second code, shown after the block, is still read).
func TestCameraDropsStaleFrames(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir, _ := cameraTestdata(t)
	video := filepath.Join(t.TempDir(), "codes.mkv")
	imgs := []string{filepath.Join(dir, "m1-frame.png"), filepath.Join(dir, "m2-frame.png")}
	makeVideo(t, video, "ffv1", imgs, 1, 0.5)
	c := NewCamera("cam", CameraConfig{Input: video, Realtime: true, Hold: time.Hour,
		Backoff: Backoff{Min: time.Hour, Max: time.Hour}}, nil, nil)
	var log scanLog
	var blocked sync.Once
	var readAtBlock int64
	stop := serveCamera(t, c, func(s mark.Scan) {
		blocked.Do(func() {
			readAtBlock = c.CameraStats().FramesRead
			camWait(t, "frames to pile up", func() bool { return c.CameraStats().FramesRead >= readAtBlock+5 })
		})
		log.emit(s)
	})
	camWait(t, "the video to end", func() bool { return c.CameraStats().Exits >= 1 })
	stop()
	st := c.CameraStats()
	t.Logf("stats %+v, frames read when blocked: %d", st, readAtBlock)
	if st.FramesDropped < 4 {
		t.Errorf("dropped %d frames while the consumer was blocked for 5, want at least 4", st.FramesDropped)
	}
	if st.FramesDecoded+st.FramesDropped != st.FramesRead {
		t.Errorf("frame accounting %+v: read must equal decoded + dropped", st)
	}
	if n := len(log.snapshot()); n != 2 {
		t.Errorf("%d scans, want 2 (one per code)", n)
	}
	// the operator's figure: /metrics exports it as
	// markd_source_events_total{event="frame_dropped"}
	if ev := c.Health().Events; ev["frame_dropped"] != st.FramesDropped {
		t.Errorf("events %v: want frame_dropped = %d", ev, st.FramesDropped)
	}
}

// TestCameraFFmpegMissing runs with a PATH that has no ffmpeg: the source
// reports it, keeps retrying, and reads codes once ffmpeg appears.
func TestCameraFFmpegMissing(t *testing.T) {
	real := needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	video := filepath.Join(t.TempDir(), "one.mkv")
	makeVideo(t, video, "ffv1", []string{filepath.Join(dir, "m1-frame.png")}, 1, 0.1)
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	c := NewCamera("cam", CameraConfig{Input: video, Hold: time.Hour,
		Backoff: Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}}, nil, nil)
	var log scanLog
	stop := serveCamera(t, c, log.emit)
	camWait(t, "three failed starts", func() bool { return c.CameraStats().Exits >= 3 })
	h := c.Health()
	if h.Up || !strings.Contains(h.Detail, "ffmpeg not found") {
		t.Errorf("health %+v: want down, saying ffmpeg is not found", h)
	}
	if st := c.CameraStats(); st.Starts != 0 {
		t.Errorf("%d ffmpeg starts without ffmpeg", st.Starts)
	}
	if err := os.Symlink(real, filepath.Join(bin, "ffmpeg")); err != nil {
		t.Fatal(err)
	}
	camWait(t, "a scan after ffmpeg appeared", func() bool { return len(log.snapshot()) > 0 })
	stop()
	if s := log.snapshot(); s[0].Text != texts["m1-frame.png"] {
		t.Errorf("scan %.30q, want the m1 code", s[0].Text)
	}
}

// TestCameraStopKillsFFmpeg reads an endless lavfi test pattern and checks
// that cancelling Serve leaves no ffmpeg process behind.
func TestCameraStopKillsFFmpeg(t *testing.T) {
	needFFmpeg(t)
	c := NewCamera("cam", CameraConfig{Input: "testsrc=size=640x360:rate=25", Format: "lavfi",
		Width: 640, Height: 360, FPS: 25}, nil, nil)
	stop := serveCamera(t, c, func(mark.Scan) {})
	camWait(t, "frames", func() bool { return c.CameraStats().FramesRead >= 3 })
	pid := int(c.pid.Load())
	if pid == 0 {
		t.Fatal("no ffmpeg pid while frames arrive")
	}
	if h := c.Health(); !h.Up {
		t.Errorf("health %+v while frames arrive, want up", h)
	}
	stop()
	if !processGone(t, pid) {
		t.Errorf("ffmpeg pid %d still exists after Serve returned", pid)
	}
}

// TestHoldFilter: a code held in view is one scan however long it stays,
// even with frames where the decoder misses it; taken away and shown again
// after a clear view (the next envelope with the same mark) it is a scan
// again, whatever the hold.
func TestHoldFilter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const empty, unread = "", "?" // a frame with nothing code-like; one with a code not read
	type sighting struct {
		text string
		ms   int
		want bool
	}
	tests := []struct {
		name string
		seq  []sighting
	}{
		{"consecutive frames once", []sighting{{"A", 0, true}, {"A", 100, false}, {"A", 200, false}}},
		{"held in view stays quiet", []sighting{{"A", 0, true}, {"A", 1500, false}, {"A", 3000, false}, {"A", 4500, false}}},
		{"back after hold", []sighting{{"A", 0, true}, {"A", 2000, true}}},
		{"gap shorter than hold", []sighting{{"A", 0, true}, {"A", 1999, false}}},
		{"two codes independent", []sighting{{"A", 0, true}, {"B", 10, true}, {"A", 20, false}, {"B", 30, false}}},
		{"missed while in view", []sighting{{"A", 0, true}, {unread, 100, false}, {unread, 200, false}, {unread, 300, false},
			{unread, 400, false}, {"A", 500, false}}},
		{"glint shorter than a clear view", []sighting{{"A", 0, true}, {empty, 100, false}, {empty, 200, false}, {"A", 300, false}}},
		{"same mark after a clear view", []sighting{{"A", 0, true}, {empty, 100, false}, {empty, 200, false},
			{empty, 300, false}, {"A", 400, true}, {"A", 500, false}}},
		{"clear view forgets every code", []sighting{{"A", 0, true}, {"B", 0, true}, {empty, 100, false}, {empty, 200, false},
			{empty, 300, false}, {"B", 400, true}, {"A", 400, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHoldFilter(2*time.Second, 10)
			for i, s := range tt.seq {
				switch s.text {
				case empty, unread:
					h.frame(s.text == unread)
				default:
					h.frame(true)
					if got := h.pass(s.text, at(s.ms)); got != s.want {
						t.Errorf("sighting %d (%s at %d ms): pass = %v, want %v", i, s.text, s.ms, got, s.want)
					}
				}
				h.prune(at(s.ms))
			}
		})
	}
	for _, tt := range []struct{ fps, want int }{{10, 3}, {5, 3}, {1, 3}, {25, 8}, {30, 9}} {
		if got := newHoldFilter(time.Second, tt.fps).clearFrames; got != tt.want {
			t.Errorf("%d fps: view clear after %d frames, want %d (0.3 s, at least 3)", tt.fps, got, tt.want)
		}
	}
}

// TestCameraSameMarkAgain plays what a counter camera sees: a mark held
// in view for 4 s (twice the hold) is one scan; the envelope taken away,
// 0.8 s of empty counter, and an envelope with the same mark (a copy) is
// a second scan, for the pipeline to judge (DUPLICATE_SCAN or REUSED),
// not swallowed by the hold.
func TestCameraSameMarkAgain(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	img := filepath.Join(dir, "m1-frame.png")
	video := filepath.Join(t.TempDir(), "twice.mkv")
	makeVideo(t, video, "ffv1", []string{img}, 4, 0.8)
	twice := filepath.Join(t.TempDir(), "twice2.mkv")
	if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", video, "-i", video,
		"-filter_complex", "[0:v][1:v]concat=n=2:v=1[out]", "-map", "[out]", "-c:v", "ffv1", twice).CombinedOutput(); err != nil {
		t.Fatalf("joining the video twice: %v\n%s", err, b)
	}
	c, scans := playOnce(t, CameraConfig{Input: twice})
	for _, s := range scans {
		if s.Text != texts["m1-frame.png"] {
			t.Errorf("scan %.30q, want the m1 code", s.Text)
		}
	}
	if len(scans) != 2 {
		t.Errorf("%d scans, want 2: one per envelope (held 4 s each, 0.8 s of empty counter between)", len(scans))
	}
	t.Logf("stats %+v", c.CameraStats())
}

func TestCameraArgs(t *testing.T) {
	cfg := NewCamera("c", CameraConfig{Input: "/dev/video0", Format: "v4l2"}, nil, nil).cfg
	got := strings.Join(cfg.Args(), " ")
	want := "-hide_banner -loglevel error -nostdin -f v4l2 -i /dev/video0 -an -sn -f rawvideo -pix_fmt gray -s 1280x720 -r 10 pipe:1"
	if got != want {
		t.Errorf("Args = %s\nwant   %s", got, want)
	}
}

func TestSnapshot(t *testing.T) {
	tests := []struct {
		w, h, maxW, wantW int
	}{
		{1280, 720, 320, 320},
		{1920, 1080, 320, 240},
		{200, 100, 320, 200},
		{1, 1, 320, 1},
	}
	for _, tt := range tests {
		g := qrdecode.Gray{Pix: bytes.Repeat([]byte{128}, tt.w*tt.h), W: tt.w, H: tt.h}
		b, err := Snapshot(g, tt.maxW, 70)
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%dx%d: %v", tt.w, tt.h, err)
		}
		if img.Bounds().Dx() != tt.wantW {
			t.Errorf("%dx%d: snapshot %d wide, want %d", tt.w, tt.h, img.Bounds().Dx(), tt.wantW)
		}
	}
	if _, err := Snapshot(qrdecode.Gray{}, 320, 70); err == nil {
		t.Error("snapshot of an empty frame: no error")
	}
}
