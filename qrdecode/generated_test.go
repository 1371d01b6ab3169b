package qrdecode

import (
	"path/filepath"
	"testing"
)

// TestGeneratedFaint: faint codes on flat and textured backgrounds
// (testdata/generated, README.md there says how they were made), which
// zbarimg reads, are read by the camera mode in one frame on a fresh
// decoder. Before the finder scan's flat bound followed the region's
// contrast none was (the gate stepped over the code's blocks as flat, or
// the code-size test chose down2 for modules of 2.3 px).
func TestGeneratedFaint(t *testing.T) {
	const dir = "testdata/generated"
	for _, e := range loadManifest(t, dir) {
		g := loadFrame(t, filepath.Join(dir, e.File))
		d := NewDecoder()
		got := d.Decode(g)
		if len(got) != 1 || got[0] != e.Text {
			t.Errorf("%s: camera mode decoded %q", e.File, got)
		}
	}
}
