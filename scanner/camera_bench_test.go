package scanner

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"markd/mark"
)

// BenchmarkCameraPipeline runs the whole camera path, ffmpeg decoding a
// video and scaling it to raw gray, the frame mailbox, QR decoding and the
// hold filter, as fast as ffmpeg delivers (no -re, an uncompressed
// video, so ffmpeg only reads and scales), and reports the wall time per
// frame read and per frame decoded, and the share of frames the decoder
// dropped. ffmpeg runs beside the decoder on the other core, so these are
// throughput figures (ffmpeg's start-up included), not the sum of both.
func BenchmarkCameraPipeline(b *testing.B) {
	needFFmpeg(b)
	dir, _ := cameraTestdata(b)
	for _, size := range []struct{ w, h int }{{1280, 720}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			video := filepath.Join(b.TempDir(), "codes.mkv")
			imgs := []string{filepath.Join(dir, "m1-frame.png"), filepath.Join(dir, "m2-noisy.png")}
			makeVideo(b, video, "rawvideo", imgs, 3, 1) // 80 frames at 1280x720, scaled by ffmpeg
			var read, decoded, dropped int64
			var elapsed time.Duration
			for range b.N {
				c := NewCamera("cam", CameraConfig{Input: video, Width: size.w, Height: size.h,
					FPS: 10, Hold: time.Hour, Backoff: Backoff{Min: time.Hour, Max: time.Hour}}, nil, nil)
				codes := 0
				start := time.Now()
				stop := serveCameraB(b, c, func(mark.Scan) { codes++ })
				for c.CameraStats().Exits < 1 {
					time.Sleep(time.Millisecond)
				}
				elapsed += time.Since(start)
				stop()
				st := c.CameraStats()
				read += st.FramesRead
				decoded += st.FramesDecoded
				dropped += st.FramesDropped
				if codes != 2 {
					b.Fatalf("%d codes emitted, want 2 (stats %+v)", codes, st)
				}
			}
			ms := float64(elapsed.Microseconds()) / 1000
			b.ReportMetric(ms/float64(read), "ms/read")
			b.ReportMetric(ms/float64(decoded), "ms/decoded")
			b.ReportMetric(100*float64(dropped)/float64(read), "%dropped")
		})
	}
}

// serveCameraB runs c.Serve in the background for a benchmark.
func serveCameraB(b *testing.B, c *Camera, emit func(mark.Scan)) (stop func()) {
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- c.Serve(ctx, emit) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Serve: %v", err)
		}
	}
}
