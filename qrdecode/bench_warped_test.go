package qrdecode

import (
	"bytes"
	"path/filepath"
	"testing"
)

// BenchmarkWarped times the camera mode on the wrinkled frames of
// testdata/qr-warped (read or not) and on a flat frame, each on its own
// decoder, as a camera would show them frame after frame.
func BenchmarkWarped(b *testing.B) {
	for _, f := range []string{"w1-wrinkle.png", "w2-wrinkle.png", "w3-wrinkle.png", "w4-wrinkle.png", "w1-tilt.png", "w2-persp.png"} {
		b.Run(f, func(b *testing.B) {
			g := loadFrame(b, filepath.Join("testdata", "qr-warped", f))
			d := NewDecoder()
			b.ResetTimer()
			for range b.N {
				d.Decode(g)
			}
		})
	}
	b.Run("720p-empty", func(b *testing.B) {
		g := Gray{Pix: bytes.Repeat([]byte{180}, 1280*720), W: 1280, H: 720}
		d := NewDecoder()
		for range b.N {
			d.Decode(g)
		}
	})
}
