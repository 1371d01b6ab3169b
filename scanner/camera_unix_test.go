//go:build unix

package scanner

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/mark"
)

// TestCameraStalledInput feeds ffmpeg a FIFO that is open but silent, as a
// stalled RTSP stream or a wedged camera driver would be: the source must
// notice the missing frames, kill ffmpeg and start it again.
func TestCameraStalledInput(t *testing.T) {
	needFFmpeg(t)
	fifo := filepath.Join(t.TempDir(), "silent")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := NewCamera("cam", CameraConfig{Input: fifo, Format: "rawvideo", Width: 64, Height: 64,
		StallTimeout: 200 * time.Millisecond,
		Backoff:      Backoff{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond}}, nil, nil)
	stop := serveCamera(t, c, func(mark.Scan) {})
	camWait(t, "two stalled runs", func() bool { return c.CameraStats().Exits >= 2 })
	pid := int(c.pid.Load())
	stop()
	st := c.CameraStats()
	if st.Starts < 2 || !strings.Contains(st.LastExit, "no frame from the camera") {
		t.Errorf("stats %+v: want restarts after a stall", st)
	}
	if h := c.Health(); h.Up {
		t.Errorf("health %+v: want down", h)
	}
	if pid != 0 {
		if !processGone(t, pid) {
			t.Errorf("ffmpeg pid %d still exists after Serve returned", pid)
		}
	}
}

// TestCameraKilledMidStream kills ffmpeg while frames arrive (the OOM
// killer, an operator's kill, a crash): the source reports it once,
// restarts ffmpeg at once and counts one reconnect when frames come back.
func TestCameraKilledMidStream(t *testing.T) {
	needFFmpeg(t)
	logs := &recordLog{}
	c := NewCamera("cam", CameraConfig{Input: "testsrc=size=320x240:rate=10", Format: "lavfi",
		Width: 320, Height: 240, FPS: 10}, slog.New(logs), nil)
	stop := serveCamera(t, c, func(mark.Scan) {})
	camWait(t, "frames", func() bool { return c.CameraStats().FramesRead >= 2 })
	first := int(c.pid.Load())
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	camWait(t, "frames from a new ffmpeg", func() bool {
		pid := c.pid.Load()
		return pid != 0 && int(pid) != first && c.Health().Up
	})
	h, st := c.Health(), c.CameraStats()
	stop()
	if st.Exits != 1 || st.LastExit != "ffmpeg exited: signal: killed" {
		t.Errorf("stats %+v: want one exit, killed", st)
	}
	if h.Events["reconnect"] != 1 {
		t.Errorf("events %v: want one reconnect", h.Events)
	}
	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings for one lost ffmpeg, want 1: %v", n, logs.messages())
	}
}
