package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// sweepSeed is fixed so that a sweep is reproducible.
const sweepSeed = 5

// sweep re-renders one frame's parameters at nine positions in the frame
// (FILE-posIJ) and five rotations (FILE-rot±DD), to tell whether a miss
// depends on where the code lies or on the code itself. Their entries are
// appended to dir's manifest.json; their parameters go to FILE-params.json.
func sweep(paramsPath, file, dir string, log io.Writer) error {
	src, err := findFrame(paramsPath, file)
	if err != nil {
		return err
	}
	if err := checkQrencode(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	prior, err := readManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	m, err := qrMatrix(src.Text)
	if err != nil {
		return fmt.Errorf("%s: %w", src.File, err)
	}
	var out []*Params
	side := (qrModules + 8) * src.Module * 1.45 // as in base: the box at 45°
	ext := filepath.Ext(file)
	stem := strings.TrimSuffix(file, ext)
	for i, fx := range []float64{0.15, 0.5, 0.85} {
		for j, fy := range []float64{0.2, 0.5, 0.8} {
			p := *src
			p.CX = side/2 + fx*(float64(p.W)-side)
			p.CY = side/2 + fy*(float64(p.H)-side)
			p.File = fmt.Sprintf("%s-pos%d%d%s", stem, i, j, ext)
			out = append(out, &p)
		}
	}
	for _, r := range []float64{-30, -15, 0, 15, 30} {
		p := *src
		p.Rot = r
		p.File = fmt.Sprintf("%s-rot%+03.0f%s", stem, r, ext)
		out = append(out, &p)
	}
	rng := rand.New(rand.NewSource(sweepSeed))
	for _, p := range out {
		if err := renderFrame(rng, dir, p, m); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(log, p.File); err != nil {
			return fmt.Errorf("progress: %w", err)
		}
	}
	return writeIndex(dir, prior, out, stem+"-params.json")
}
