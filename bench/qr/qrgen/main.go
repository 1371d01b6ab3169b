// Command qrgen renders synthetic camera frames of EPM1 QR codes (version
// 9-M, drawn by the qrencode CLI) under degradations: small modules, JPEG,
// motion blur, faint codes, shadows, 1080p and combinations of two. It made
// the generalisation check of 2026-12-03, and the faint frames that check
// found are qrdecode's regression frames (qrdecode/testdata/generated,
// whose README gives the exact commands). The same parameters and seed
// give byte-identical frames.
//
// Usage, from the module root:
//
//	go run ./bench/qr/qrgen generate DIR -seed 777 -per 20 -prefix k
//	go run ./bench/qr/qrgen renoise DIR -noise 0.35 -tries 3 PARAMS.json:FILE...
//	go run ./bench/qr/qrgen sweep PARAMS.json FILE DIR
//
// Each writes its frames, manifest.json (file and expected text, as in
// qrdecode's QR sets) and the frames' parameters to DIR.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

const usage = `usage:
  qrgen generate DIR [-seed N] [-per N] [-prefix P]
      render per frames of each degradation (combos: per*8/10) drawn
      from seed, as P-CATEGORY-NN.png/.jpg, with manifest.json and
      params.json
  qrgen renoise DIR [-noise X] [-tries N] PARAMS.json:FILE...
      re-render the frames named, tries times each, with sensor noise X,
      as FILE-lnN
  qrgen sweep PARAMS.json FILE DIR
      re-render one frame at nine positions and five rotations; appends
      to DIR/manifest.json, parameters in DIR/STEM-params.json
Flags may come before or after the positional arguments.
`

// usageError is a command line that cannot be run; main prints the usage
// with it and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func main() {
	err := run(os.Args[1:], os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		fmt.Print(usage)
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "qrgen: %v\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "qrgen: %v\n", err)
		os.Exit(1)
	}
}

// run runs the subcommand in args; progress (a file name a frame) goes
// to log.
func run(args []string, log io.Writer) error {
	if len(args) == 0 {
		return usagef("no subcommand")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "generate":
		return runGenerate(rest, log)
	case "renoise":
		return runRenoise(rest, log)
	case "sweep":
		return runSweep(rest, log)
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	default:
		return usagef("unknown subcommand %q", cmd)
	}
}

func runGenerate(args []string, log io.Writer) error {
	fs := newFlagSet("generate")
	seed := fs.Int64("seed", 777, "random seed")
	per := fs.Int("per", 20, "frames per degradation (combos: per*8/10)")
	prefix := fs.String("prefix", "k", "file name prefix")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("generate: want one DIR, got %d arguments", len(pos))
	}
	if *per < 1 {
		return usagef("generate: -per %d: want at least 1", *per)
	}
	if *prefix == "" || strings.ContainsAny(*prefix, `/\`) {
		return usagef("generate: -prefix %q: want a non-empty name without slashes", *prefix)
	}
	return generate(pos[0], *seed, *per, *prefix, log)
}

func runRenoise(args []string, log io.Writer) error {
	fs := newFlagSet("renoise")
	noise := fs.Float64("noise", 0.35, "sensor noise sigma, grey levels")
	tries := fs.Int("tries", 3, "renderings per source frame")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("renoise: want DIR and at least one PARAMS.json:FILE")
	}
	if !(*noise >= 0) || math.IsInf(*noise, 0) {
		return usagef("renoise: -noise %v: want a finite value >= 0", *noise)
	}
	if *tries < 1 {
		return usagef("renoise: -tries %d: want at least 1", *tries)
	}
	var srcs []source
	for _, a := range pos[1:] {
		s, err := parseSource(a)
		if err != nil {
			return usagef("renoise: %v", err)
		}
		srcs = append(srcs, s)
	}
	return renoise(pos[0], *noise, *tries, srcs, log)
}

func runSweep(args []string, log io.Writer) error {
	fs := newFlagSet("sweep")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("sweep: want PARAMS.json FILE DIR, got %d arguments", len(pos))
	}
	return sweep(pos[0], pos[1], pos[2], log)
}

// newFlagSet returns a flag set that reports instead of printing, so that
// main prints one message and the usage.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseInterleaved parses flags before, between and after the positional
// arguments (the flag package stops at the first positional one, and the
// documented form is "generate DIR -seed N").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
