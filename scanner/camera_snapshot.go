package scanner

import (
	"bytes"
	"fmt"
	"image/jpeg"

	"markd/qrdecode"
)

// Snapshot encodes g as a small JPEG for the supervisor: halved with a box
// filter until it is at most maxWidth wide, at the given quality. A 720p
// frame becomes 320×180, a few kilobytes.
func Snapshot(g qrdecode.Gray, maxWidth, quality int) ([]byte, error) {
	if g.W <= 0 || g.H <= 0 || len(g.Pix) < g.W*g.H {
		return nil, fmt.Errorf("snapshot of an empty %dx%d frame", g.W, g.H)
	}
	var a, b []byte
	for g.W > maxWidth && g.W >= 2 && g.H >= 2 {
		g = qrdecode.Down2(g, a)
		a, b = b, g.Pix
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, g.Image(), &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return out.Bytes(), nil
}
