package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// renoiseSeed is fixed: the committed -lnN frames were drawn from it, in
// the order of their sources on the command line.
const renoiseSeed = 9

// source is one renoise argument, PARAMS.json:FILE.
type source struct {
	params, file string
}

// parseSource splits at the last colon, so a params path may hold one.
func parseSource(arg string) (source, error) {
	i := strings.LastIndex(arg, ":")
	if i <= 0 || i == len(arg)-1 {
		return source{}, fmt.Errorf("source %q: want PARAMS.json:FILE", arg)
	}
	return source{params: arg[:i], file: arg[i+1:]}, nil
}

// renoise re-renders each source frame tries times (same parameters; the
// perspective jitter, texture and noise are drawn anew) with sensor noise
// of sigma noise, 8-bit so that the PNG stays small, as FILE-lnN. A frame
// missed at its own noise but read at a lower one shows the decoder's
// limit is the noise, not the geometry.
func renoise(dir string, noise float64, tries int, srcs []source, log io.Writer) error {
	// Every source is looked up before anything is drawn or written, so
	// a mistyped one costs nothing.
	var frames []*Params
	for _, s := range srcs {
		p, err := findFrame(s.params, s.file)
		if err != nil {
			return err
		}
		frames = append(frames, p)
	}
	if err := checkQrencode(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	rng := rand.New(rand.NewSource(renoiseSeed))
	var out []*Params
	for _, p := range frames {
		m, err := qrMatrix(p.Text)
		if err != nil {
			return fmt.Errorf("%s: %w", p.File, err)
		}
		for t := 0; t < tries; t++ {
			q := *p
			q.Noise = noise
			q.Bits16 = false
			ext := filepath.Ext(p.File)
			q.File = strings.TrimSuffix(p.File, ext) + "-ln" + strconv.Itoa(t) + ext
			if err := renderFrame(rng, dir, &q, m); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(log, q.File); err != nil {
				return fmt.Errorf("progress: %w", err)
			}
			out = append(out, &q)
		}
	}
	return writeIndex(dir, nil, out, "params.json")
}
