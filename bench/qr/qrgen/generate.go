package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"strings"
)

// generate renders per frames of each degradation (combos: per*8/10) with
// parameters drawn from seed, into dir with manifest.json and params.json.
// All parameters are drawn first, then each frame's text and pixels, in
// file order: the committed frames depend on this order of draws, so a
// change here must leave it as it is (see qrgen_test.go and the README of
// qrdecode/testdata/generated for the check).
func generate(dir string, seed int64, per int, prefix string, log io.Writer) error {
	if err := checkQrencode(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	rng := rand.New(rand.NewSource(seed))
	all := plan(rng, per, prefix)
	for _, p := range all {
		p.Text = randText(rng)
		m, err := qrMatrix(p.Text)
		if err != nil {
			return fmt.Errorf("%s: %w", p.File, err)
		}
		if err := renderFrame(rng, dir, p, m); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(log, p.File); err != nil {
			return fmt.Errorf("progress: %w", err)
		}
	}
	return writeIndex(dir, nil, all, "params.json")
}

// randText is an EPM1 mark's shape: the prefix and 167 base32 characters.
// The decoder is checked for reading it, not for verifying it, so the
// characters are random rather than a signed mark.
func randText(rng *rand.Rand) string {
	const al = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var sb strings.Builder
	sb.WriteString("EPM1:")
	for i := 0; i < 167; i++ {
		sb.WriteByte(al[rng.Intn(32)])
	}
	return sb.String()
}

// base draws the parameters every category shares; the category then
// overrides some. i varies the background (flat, texture, clutter), the
// perspective (strong every third frame) and the PNG depth (16-bit for
// odd i).
func base(rng *rand.Rand, cat string, i int, w, h int, modLo, modHi float64) *Params {
	p := &Params{Category: cat, W: w, H: h}
	p.Module = uni(rng, modLo, modHi)
	p.Rot = uni(rng, -35, 35)
	if i%3 == 0 {
		p.Persp = uni(rng, 0.02, 0.07)
	} else {
		p.Persp = uni(rng, 0, 0.02)
	}
	side := (qrModules + 8) * p.Module * 1.45 // the code's bounding box at 45°, with a margin
	p.CX = uni(rng, side/2+4, float64(w)-side/2-4)
	p.CY = uni(rng, side/2+4, float64(h)-side/2-4)
	p.BG = []string{"flat", "texture", "clutter"}[i%3]
	p.BGLevel = uni(rng, 120, 210)
	p.Paper = uni(rng, 225, 255)
	p.Ink = uni(rng, 0, 35)
	p.Sigma = uni(rng, 0.3, 0.7)
	p.Noise = uni(rng, 0.5, 2.5)
	p.Bits16 = i%2 == 1
	return p
}

// plan draws every frame's parameters (not the text) and names the files
// PREFIX-CATEGORY-NN.png (.jpg for JPEG frames). With per 1 there are no
// combos (per*8/10 is 0); the sequence for larger per is what the
// committed sets were made with.
func plan(rng *rand.Rand, per int, prefix string) []*Params {
	var all []*Params
	add := func(p *Params, idx int) {
		ext := "png"
		if p.JPEGQ > 0 {
			ext = "jpg"
		}
		p.File = fmt.Sprintf("%s-%s-%02d.%s", prefix, p.Category, idx, ext)
		all = append(all, p)
	}
	N := per
	for i := 0; i < N; i++ { // small modules
		p := base(rng, "small", i, 1280, 720, 1.8, 2.6)
		p.Sigma = uni(rng, 0.3, 0.8)
		add(p, i)
	}
	for i := 0; i < N; i++ { // jpeg
		p := base(rng, "jpeg", i, 1280, 720, 2.0, 3.2)
		p.JPEGQ = 20 + 40*i/N + rng.Intn(4) // 20..59
		add(p, i)
	}
	for i := 0; i < N; i++ { // motion blur
		p := base(rng, "motion", i, 1280, 720, 2.5, 4.0)
		p.MotionL = uni(rng, 3, 9)
		p.MotionA = uni(rng, 0, 180)
		p.Sigma = uni(rng, 0.3, 0.6)
		add(p, i)
	}
	for i := 0; i < N; i++ { // faint
		p := base(rng, "faint", i, 1280, 720, 2.0, 3.5)
		p.BGLevel = uni(rng, 90, 170)
		p.Paper = p.BGLevel + uni(rng, 0, 15)
		p.Ink = p.Paper - uni(rng, 15, 40)
		p.Noise = uni(rng, 0.5, 1.5)
		add(p, i)
	}
	for i := 0; i < N; i++ { // shadow
		p := base(rng, "shadow", i, 1280, 720, 2.0, 3.5)
		p.Paper = uni(rng, 170, 240)
		switch i % 3 {
		case 0, 1:
			p.Shadow = fmt.Sprintf("linear:%.0f:%.2f:%.2f", uni(rng, 0, 360), uni(rng, 0.12, 0.3), uni(rng, 0.85, 1.0))
		case 2:
			p.Shadow = fmt.Sprintf("edge:%.0f:%.0f:%.2f:%.1f", uni(rng, 0, 360), uni(rng, -40, 40), uni(rng, 0.35, 0.6), uni(rng, 3, 25))
		}
		if i == 4 || i == 7 {
			// drawn after the linear one above, which it replaces: the
			// draws stay as the committed sets were made
			p.Shadow = fmt.Sprintf("radial:%.0f:%.0f:%.0f:%.2f", p.CX+uni(rng, -100, 100), p.CY+uni(rng, -100, 100), uni(rng, 250, 500), uni(rng, 0.25, 0.45))
		}
		add(p, i)
	}
	for i := 0; i < N; i++ { // 1080p
		p := base(rng, "hd", i, 1920, 1080, 2.0, 3.5)
		add(p, i)
	}
	// combos: two degradations at once
	for i := 0; i < N*8/10; i++ {
		p := base(rng, "combo", i, []int{1280, 1920}[i%2], []int{720, 1080}[i%2], 2.2, 3.5)
		switch i % 4 {
		case 0: // motion + jpeg
			p.MotionL, p.MotionA = uni(rng, 3, 7), uni(rng, 0, 180)
			p.JPEGQ = 35 + rng.Intn(25)
		case 1: // faint + shadow
			p.Paper = uni(rng, 140, 190)
			p.Ink = p.Paper - uni(rng, 30, 50)
			p.Shadow = fmt.Sprintf("linear:%.0f:%.2f:%.2f", uni(rng, 0, 360), uni(rng, 0.3, 0.5), uni(rng, 0.9, 1.0))
		case 2: // small + jpeg
			p.Module = uni(rng, 2.0, 2.5)
			p.JPEGQ = 30 + rng.Intn(25)
		case 3: // motion + shadow
			p.MotionL, p.MotionA = uni(rng, 3, 7), uni(rng, 0, 180)
			p.Shadow = fmt.Sprintf("linear:%.0f:%.2f:%.2f", uni(rng, 0, 360), uni(rng, 0.2, 0.4), uni(rng, 0.85, 1.0))
		}
		add(p, i)
	}
	return all
}
