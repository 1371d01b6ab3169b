package scanner

// Camera faults a counter meets: a missing device, an IP camera's reset,
// a camera dropping out again and again, another size or format than
// configured, damaged frames, ffmpeg's error lines.

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/mark"
)

// TestCameraInputMissing points the camera at a device that does not
// exist (an unplugged /dev/video0, or a config naming the wrong one): the
// source stays down and says so in plain words naming the device, logs one
// warning naming the config key, the device and what to do, keeps
// checking with backoff, and starts no ffmpeg for a device that is not
// there.
func TestCameraInputMissing(t *testing.T) {
	needFFmpeg(t)
	input := filepath.Join(t.TempDir(), "video0")
	logs := &recordLog{}
	c := NewCamera("cam", CameraConfig{Input: input, Format: "v4l2", Key: "sources[1].input",
		Backoff: Backoff{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond}}, slog.New(logs), nil)
	stop := serveCamera(t, c, func(mark.Scan) { t.Error("scan from a missing camera") })
	camWait(t, "three failed tries", func() bool { return c.CameraStats().Exits >= 3 })
	h := c.Health()
	stop()
	st := c.CameraStats()
	if st.Starts != 0 || st.FramesRead != 0 {
		t.Errorf("stats %+v: want no ffmpeg started for a missing device", st)
	}
	want := "camera not found: no such device " + input + " (not plugged in?)"
	if st.LastExit != want || h.Detail != want+"; retrying" || h.Up {
		t.Errorf("last exit %q, health %+v: want down, %q", st.LastExit, h, want)
	}
	if h.Events["reconnect"] != 0 {
		t.Errorf("events %v: no reconnect (the camera never delivered a frame)", h.Events)
	}
	msgs := logs.messages()
	if n := logs.count(slog.LevelWarn); n != 1 || len(msgs) == 0 {
		t.Fatalf("%d warnings over %d tries, want 1: %v", n, st.Exits, msgs)
	}
	for _, w := range []string{"WARN camera not available", "key=sources[1].input", "input=" + input, "markd doctor"} {
		if !strings.Contains(msgs[0], w) {
			t.Errorf("warning %q: want %q in it", msgs[0], w)
		}
	}
}

// TestCameraRetryKeepsReason: while a missing camera is tried again, its
// light keeps saying why it is down ("camera not found ...; retrying"),
// never "starting ffmpeg on ..." between two tries: an operator (and
// /healthz) looking at the wrong moment read that the camera was
// starting, and the daemon test of a missing camera failed on it.
func TestCameraRetryKeepsReason(t *testing.T) {
	needFFmpeg(t)
	input := filepath.Join(t.TempDir(), "video0")
	c := NewCamera("cam", CameraConfig{Input: input, Format: "v4l2",
		Backoff: Backoff{Min: time.Millisecond, Max: time.Millisecond}}, slog.New(&recordLog{}), nil)
	stop := serveCamera(t, c, func(mark.Scan) { t.Error("scan from a missing camera") })
	camWait(t, "the first failed try", func() bool { return c.CameraStats().Exits >= 1 })
	seen := map[string]int{}
	for c.CameraStats().Exits < 200 {
		seen[c.Health().Detail]++
	}
	stop()
	want := "camera not found: no such device " + input + " (not plugged in?); retrying"
	for d, n := range seen {
		if d != want {
			t.Errorf("between tries the light said %q (%d looks), want only %q", d, n, want)
		}
	}
}

// FuzzTailWriter writes arbitrary ffmpeg stderr in two chunks: the kept
// tail never exceeds its bound and the reported line has no line break.
func FuzzTailWriter(f *testing.F) {
	f.Add([]byte("error 1\nerror 2\n"), []byte("\r\n"), 8)
	f.Add([]byte{}, []byte("no newline"), 1)
	f.Fuzz(func(t *testing.T, a, b []byte, limit int) {
		if limit <= 0 || limit > 4096 {
			return
		}
		w := &tailWriter{max: limit}
		w.Write(a)
		w.Write(b)
		if len(w.buf) > limit {
			t.Errorf("kept %d bytes, bound %d", len(w.buf), limit)
		}
		line := w.String()
		if strings.ContainsAny(line, "\n") || len(line) > limit {
			t.Errorf("last line %q: has a newline or exceeds the bound", line)
		}
	})
}

// TestCameraStreamReset: an IP camera that drops the connection mid-stream
// (a TCP reset, as a camera rebooting or a cable pulled at the switch
// gives) makes ffmpeg print the reason and exit 0 as at a plain end of
// input. The source must name the reason, not "input ended", read the code
// it saw before, and retry.
func TestCameraStreamReset(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	// H.264 in MPEG-TS, as IP cameras send; 8 s of grey after the code:
	// ffmpeg probes up to 5 s of a stream before its first frame
	video := filepath.Join(t.TempDir(), "one.ts")
	makeVideo(t, video, "libx264", []string{filepath.Join(dir, "m1-frame.png")}, 1, 8)
	stream, err := os.ReadFile(video)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	read := make(chan struct{}) // the code was read: the camera is mid-stream
	served := make(chan struct{})
	go func() {
		defer close(served)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		conn.Write(stream[:len(stream)*3/4]) // the code and part of the grey after it
		<-read
		conn.(*net.TCPConn).SetLinger(0) // close with a reset, not an orderly end
		conn.Close()
	}()
	c := NewCamera("cam", CameraConfig{Input: "tcp://" + ln.Addr().String(), Format: "mpegts", Realtime: true,
		Hold: time.Hour, Backoff: Backoff{Min: time.Hour, Max: time.Hour}}, nil, nil)
	var log scanLog
	var once sync.Once
	stop := serveCamera(t, c, func(s mark.Scan) {
		log.emit(s)
		once.Do(func() { close(read) })
	})
	camWait(t, "the stream to end", func() bool { return c.CameraStats().Exits >= 1 })
	h := c.Health()
	stop()
	once.Do(func() { close(read) })
	<-served
	if s := log.snapshot(); len(s) != 1 || s[0].Text != texts["m1-frame.png"] {
		t.Errorf("%d scans, want the m1 code once", len(s))
	}
	st := c.CameraStats()
	t.Logf("stats %+v", st)
	if !strings.Contains(st.LastExit, "Connection reset by peer") {
		t.Errorf("last exit %q: want ffmpeg's reason, the reset connection", st.LastExit)
	}
	if h.Up || !strings.Contains(h.Detail, "Connection reset by peer") || !strings.HasSuffix(h.Detail, "; retrying") {
		t.Errorf("health %+v: want down, naming the reset, retrying", h)
	}
}

// TestTailWriterLastLine: the line kept is the last that says something,
// not ffmpeg's note that it repeated it.
func TestTailWriterLastLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "b"},
		{"x: Connection reset by peer\n    Last message repeated 4 times\n", "x: Connection reset by peer"},
		{"a\r\nLast message repeated 1 times\r\n\r\n", "a"},
		{"    Last message repeated 2 times\n", "    Last message repeated 2 times"},
		// the addresses differ from run to run: with them each retry would
		// be a new reason, warned about again
		{"[mjpeg @ 0x5605f6642ac0] error y=22 x=8\n", "[mjpeg] error y=22 x=8"},
		{"[rawvideo @ 0x55dbcc204900] [IMGUTILS @ 0x7ffe275c1a80] Picture size 0x0 is invalid\n", "[rawvideo] [IMGUTILS] Picture size 0x0 is invalid"},
		{"[video4linux2,v4l2 @ 0x55899d9478c0] Cannot open video device /dev/video0\n", "[video4linux2,v4l2] Cannot open video device /dev/video0"},
		{"a @ 0x12 b\n", "a @ 0x12 b"},
	} {
		w := &tailWriter{max: 512}
		w.Write([]byte(tt.in))
		if got := w.String(); got != tt.want {
			t.Errorf("%q: last line %q, want %q", tt.in, got, tt.want)
		}
	}
}

// recordLog is a slog.Handler keeping the records a test looks at.
type recordLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *recordLog) WithGroup(string) slog.Handler            { return l }
func (l *recordLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// count returns how many records of level were logged.
func (l *recordLog) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level {
			n++
		}
	}
	return n
}

// messages returns the records as "LEVEL message key=value …" lines.
func (l *recordLog) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
		out = append(out, line)
	}
	return out
}

// TestCameraOtherSizeAndFormat feeds the source what a camera may deliver
// instead of the configured frame: a 4:3 640×480 MJPEG stream (yuvj422p,
// a common USB webcam mode) and a 1920×1080 H.264 one (yuv420p), both into
// the default 1280×720 gray frame. ffmpeg converts and scales (stretching
// 4:3 to 16:9); the code must still be read, once.
func TestCameraOtherSizeAndFormat(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	img := filepath.Join(dir, "m1-frame.png")
	for _, tc := range []struct {
		name, size string
		codec      []string
	}{
		{"640x480 mjpeg", "640:480", []string{"-c:v", "mjpeg", "-pix_fmt", "yuvj422p", "-q:v", "5"}},
		{"1920x1080 h264", "1920:1080", []string{"-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "28"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			video := filepath.Join(t.TempDir(), "cam.mkv")
			args := append([]string{"-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "10", "-t", "1", "-i", img,
				"-f", "lavfi", "-t", "0.5", "-i", "color=c=0xb0b0b0:s=1280x720:r=10", "-filter_complex",
				"[0:v]scale=1280:720,setsar=1[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1,scale=" + tc.size + ",setsar=1[out]",
				"-map", "[out]"}, append(tc.codec, video)...)
			if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				t.Fatalf("making the video: %v\n%s", err, b)
			}
			c, scans := playOnce(t, CameraConfig{Input: video, Hold: time.Hour})
			if len(scans) != 1 || scans[0].Text != texts["m1-frame.png"] {
				t.Errorf("%d scans, want the m1 code once (stats %+v)", len(scans), c.CameraStats())
			}
			if st := c.CameraStats(); st.LastExit != "ffmpeg exited: input ended" {
				t.Errorf("last exit %q, want the plain end of input", st.LastExit)
			}
		})
	}
}

// TestCameraCorruptFrames plays an MJPEG video (what most USB webcams
// send) whose frames were damaged in transit: bytes overwritten in the
// middle of a third of the frames showing the codes. ffmpeg complains and
// goes on; the source must not stop, must never emit a text that is not
// one of the codes, and reads each code once from the intact frames.
func TestCameraCorruptFrames(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir, texts := cameraTestdata(t)
	files := []string{"m1-frame.png", "m2-frame.png"}
	want := map[string]bool{}
	var images []string
	for _, f := range files {
		images = append(images, filepath.Join(dir, f))
		want[texts[f]] = true
	}
	clean := filepath.Join(t.TempDir(), "clean.mkv")
	makeVideo(t, clean, "ffv1", images, 1.5, 0.5)
	// one JPEG after the other: an MJPEG elementary stream is split at
	// each frame's start marker (FF D8) by ffmpeg's parser
	mjpeg := filepath.Join(t.TempDir(), "cam.mjpeg")
	if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", clean,
		"-c:v", "mjpeg", "-q:v", "4", "-f", "mjpeg", mjpeg).CombinedOutput(); err != nil {
		t.Fatalf("making the MJPEG stream: %v\n%s", err, b)
	}
	data, err := os.ReadFile(mjpeg)
	if err != nil {
		t.Fatal(err)
	}
	starts := []int{}
	for i := 0; i+2 < len(data); i++ {
		if data[i] == 0xFF && data[i+1] == 0xD8 && data[i+2] == 0xFF {
			starts = append(starts, i)
		}
	}
	damaged := 0
	for k := 0; k+1 < len(starts); k += 3 {
		a, b := starts[k], starts[k+1]
		mid := a + (b-a)/2
		for j := mid; j < mid+(b-a)/8; j++ {
			data[j] = byte(j * 131)
		}
		damaged++
	}
	if err := os.WriteFile(mjpeg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, scans := playOnce(t, CameraConfig{Input: mjpeg, Format: "mjpeg", Hold: time.Hour})
	seen := map[string]int{}
	for _, s := range scans {
		seen[s.Text]++
		if !want[s.Text] {
			t.Errorf("emitted %q from damaged frames: not one of the codes", s.Text)
		}
	}
	for text := range want {
		if seen[text] != 1 {
			t.Errorf("code %.20s… emitted %d times, want once", text, seen[text])
		}
	}
	st := c.CameraStats()
	t.Logf("%d of %d frames damaged; stats %+v", damaged, len(starts), st)
	// the MJPEG demuxer takes the stream for 25 fps: 40 frames are 1.6 s,
	// 16 frames at the source's 10
	if st.Exits != 1 || st.FramesRead < 12 {
		t.Errorf("stats %+v: want one run through the whole stream", st)
	}
}

// TestCameraFlapping: a camera that delivers a few frames and drops out,
// again and again (a loose USB plug, an overloaded IP camera), is warned
// about once, not at every drop, and its restarts back off instead of
// starting again at the minimum after every short burst of frames.
func TestCameraFlapping(t *testing.T) {
	needFFmpeg(t)
	logs := &recordLog{}
	min := 2 * time.Millisecond
	c := NewCamera("cam", CameraConfig{Input: "testsrc=size=64x48:rate=10:duration=0.3", Format: "lavfi",
		Width: 64, Height: 48, FPS: 10, Backoff: Backoff{Min: min, Max: time.Hour}}, slog.New(logs), nil)
	stop := serveCamera(t, c, func(mark.Scan) {})
	camWait(t, "five short runs", func() bool { return c.CameraStats().Exits >= 5 })
	stop()
	st := c.CameraStats()
	if st.FramesRead < st.Exits {
		t.Fatalf("stats %+v: want frames in every run", st)
	}
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings for %d short runs, want 1: %v", n, st.Exits, logs.messages())
	}
	// the wait after each run: doubled from the minimum, not reset by the
	// run's few frames
	if next := c.backoff.Next(); next < min<<(st.Exits-1) {
		t.Errorf("next wait %v after %d short runs, want at least %v", next, st.Exits, min<<(st.Exits-1))
	}
}
