package qrdecode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const generatedDir = "testdata/generated"

// motionLengths reads testdata/generated/params.json and returns the
// motion blur length each smeared frame was rendered with, by file.
func motionLengths(t *testing.T) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(generatedDir, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct {
		File    string  `json:"file"`
		MotionL float64 `json:"motion_len"`
	}
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatalf("params.json: %v", err)
	}
	out := map[string]float64{}
	for _, p := range ps {
		if p.MotionL > 0 {
			out[p.File] = p.MotionL
		}
	}
	return out
}

// TestGeneratedFaint: faint codes on flat and textured backgrounds
// (testdata/generated, README.md there says how they were made), which
// zbarimg reads, are read by the camera mode in one frame on a fresh
// decoder. Before the finder scan's flat bound followed the region's
// contrast none was (the gate stepped over the code's blocks as flat, or
// the code-size test chose down2 for modules of 2.3 px). The two on
// clutter (g-faint-02-ln0, k-faint-05-ln2) need the region search's core
// blob (coreRegion): before, the code's region was past the bound.
func TestGeneratedFaint(t *testing.T) {
	smeared := motionLengths(t)
	for _, e := range loadManifest(t, generatedDir) {
		if smeared[e.File] > 0 {
			continue // TestGeneratedLongBlur
		}
		g := loadFrame(t, filepath.Join(generatedDir, e.File))
		d := NewDecoder()
		got := d.Decode(g)
		if len(got) != 1 || got[0] != e.Text {
			t.Errorf("%s: camera mode decoded %q", e.File, got)
		}
	}
}

// TestGeneratedLongBlur: codes smeared by 6–9 px of motion, two to three
// modules (testdata/generated), which neither zbarimg nor zxing-cpp
// reads, are read by the thorough mode. Before it deconvolved at the
// blur length measured along the direction (blurLength), with up to
// longIters iterations, none was: its fixed lengths of 4–6 px with 6
// iterations do not restore them.
func TestGeneratedLongBlur(t *testing.T) {
	smeared := motionLengths(t)
	n := 0
	for _, e := range loadManifest(t, generatedDir) {
		if smeared[e.File] == 0 {
			continue
		}
		n++
		g := loadFrame(t, filepath.Join(generatedDir, e.File))
		d := NewDecoder()
		d.Thorough = true
		got := d.Decode(g)
		if len(got) != 1 || got[0] != e.Text {
			t.Errorf("%s: thorough mode decoded %q", e.File, got)
		}
	}
	if n == 0 {
		t.Fatal("no smeared frame in testdata/generated")
	}
}

// TestBlurLength: the blur length measured on the smeared generated
// frames' code regions is within 1.2 px of the length they were rendered
// with.
func TestBlurLength(t *testing.T) {
	for file, want := range motionLengths(t) {
		g := loadFrame(t, filepath.Join(generatedDir, file))
		var blocks blockExtremes
		cands, shaped, _ := candidates(g, maxCandidates, &blocks)
		if shaped == 0 {
			t.Errorf("%s: no code-shaped region", file)
			continue
		}
		c := CropStretch(g, cands[0], nil)
		dir, _ := BlurDirection(c)
		if l := blurLength(c, Rect{0, 0, c.W, c.H}, dir); l < want-1.2 || l > want+1.2 {
			t.Errorf("%s: blur length %.2f, rendered with %.2f", file, l, want)
		}
	}
}
