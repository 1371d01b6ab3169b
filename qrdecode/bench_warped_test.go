package qrdecode

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkWarped times the camera mode on the wrinkled frames of
// testdata/qr-warped (read or not) and on a flat frame, each on its own
// decoder, as a camera would show them frame after frame.
func BenchmarkWarped(b *testing.B) {
	for _, f := range []string{"w1-wrinkle.png", "w2-wrinkle.png", "w3-wrinkle.png", "w4-wrinkle.png", "w1-tilt.png", "w2-persp.png"} {
		b.Run(f, func(b *testing.B) {
			g := loadFrame(b, filepath.Join("testdata", "qr-warped", f))
			benchDecode(b, g)
		})
	}
	// a code too wrinkled to read (a 2-module wave every 25 modules):
	// the grid sampling fails on it, the phase mesh included, at every
	// frame
	b.Run("wrinkle-unread", func(b *testing.B) {
		text := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
		mods, dim := codeModules(b, text)
		const ox, oy, m = 400, 200, 3.0
		g := renderWarped(mods, dim, 1280, 720, func(x, y float64) (float64, float64, bool) {
			return (x - ox + 6*math.Sin(y/8+1)) / m, (y - oy + 6*math.Sin(x/11+2)) / m, true
		})
		d := NewDecoder()
		if got := d.Decode(g); len(got) > 0 {
			b.Fatalf("read %q: not a frame that reads nothing", got)
		}
		b.ResetTimer()
		defer reportCPU(b, processCPU())
		for range b.N {
			d.Decode(g)
		}
	})
	// small codes tilted away (gridsmall_test.go, gridloose_test.go): one
	// read in the camera mode since 2026-12-04 (1.6 px a module turned
	// 20°), one since its third pass (1.6 px turned 10°, small-tilted-10,
	// unread before), one since the grid sampling's third look
	// (2026-12-05; 2.0 px turned 45°, small-tilted-45: its top-left
	// finder pattern was not found), and one read by neither mode (1.8 px
	// upright, the left edge at 0.6), which pays for the second and third
	// looks at every frame
	v7 := strings.Repeat("EPM1:ABCDEFGHIJ0123456789", 7)
	for _, tc := range []struct {
		name          string
		ppm, deg, top float64
		far           int
	}{{"small-tilted", 1.6, 20, 0.7, 0}, {"small-tilted-10", 1.6, 10, 0.7, 0}, {"small-tilted-45", 2.0, 45, 0.7, 0}, {"small-tilted-unread", 1.8, 0, 0.6, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			g := smallTiltedFrame(b, v7, tc.ppm, tc.deg)
			if tc.top != 0.7 || tc.far != 0 {
				g = tiltedFrame(b, v7, tc.ppm, tc.deg, tc.top, tc.far)
			}
			benchDecode(b, g)
		})
	}
	// a version 1 code tilted away (1.8 px a module turned 10°), read by
	// the camera mode since the fourth pass (its gate's short legs); and
	// corpus codes round a tube (curved_test.go): version 7 at 55° read
	// since the fourth pass (timingVersions); at 70° (3.5 and 2.5 px) and
	// at 55° seen from 20° above read since the fifth pass (the local
	// grid); at 70° at 2.5 px seen from 20° above read by neither
	v1 := func(b *testing.B) Gray { return smallTiltedFrame(b, "EPM1:ABC", 1.8, 10) }
	cyl := func(ppm, arc, deg, elev float64) func(b *testing.B) Gray {
		return func(b *testing.B) Gray {
			mods, dim := codeModules(b, curvedTexts[1])
			return cylinderFrame(mods, dim, ppm, arc, deg, elev)
		}
	}
	for _, tc := range []struct {
		name string
		draw func(b *testing.B) Gray
	}{
		{"v1-tilted", v1}, {"cylinder-55", cyl(3.5, 55, 0, 0)}, {"cylinder-70", cyl(3.5, 70, 0, 0)},
		{"cylinder-70-2.5px", cyl(2.5, 70, 0, 0)}, {"cylinder-55-above", cyl(3.5, 55, 15, 20)},
		{"cylinder-70-above-unread", cyl(2.5, 70, 15, 20)},
	} {
		b.Run(tc.name, func(b *testing.B) { benchDecode(b, tc.draw(b)) })
	}
	b.Run("720p-empty", func(b *testing.B) {
		g := Gray{Pix: bytes.Repeat([]byte{180}, 1280*720), W: 1280, H: 720}
		benchDecode(b, g)
	})
}
