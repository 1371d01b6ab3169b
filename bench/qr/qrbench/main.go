// Command qrbench times markd's QR decoding path (package qrdecode) on raw
// 8-bit gray frames, in the same input and output format as the zxing-cpp
// program beside it (bench/qr/zxbench.cpp), so bench/qr.sh can print both
// side by side.
//
// Input on stdin, one frame per line: RAWFILE WIDTH HEIGHT EXPECTED_TEXT
// Output, one line per frame:
// RAWFILE<TAB>ms-per-decode<TAB>1|0<TAB>step<TAB>cpu-ms-per-decode
// Usage: qrbench [-n ITERATIONS] [-thorough] < list
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"markd/qrdecode"
)

func main() {
	iters := flag.Int("n", 5, "decodes per frame (mean reported)")
	thorough := flag.Bool("thorough", false, "decode in the thorough mode of markd decode, not the camera mode")
	flag.Parse()
	if err := run(*iters, *thorough); err != nil {
		fmt.Fprintln(os.Stderr, "qrbench:", err)
		os.Exit(1)
	}
}

func run(iters int, thorough bool) error {
	iters = max(iters, 1)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		w, err1 := strconv.Atoi(f[1])
		h, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("bad line %q", sc.Text())
		}
		pix, err := os.ReadFile(f[0])
		if err != nil {
			return err
		}
		g, err := qrdecode.NewGray(pix, w, h)
		if err != nil {
			return fmt.Errorf("%s: %w", f[0], err)
		}
		// A fresh decoder per frame: "decoded" is what one frame gives on
		// its own (the camera mode takes its expensive steps in turn, so a
		// later call on the same frame may try another one). The time is
		// the mean of the following calls, warm buffers, steps in turn.
		d := qrdecode.NewDecoder()
		d.Thorough = thorough
		step := "-"
		d.Trace = func(s string) {
			if s != "" {
				step = s
			}
		}
		ok := 0
		if contains(d.Decode(g), f[3]) {
			ok = 1
		}
		d.Trace = nil
		start, cpu := time.Now(), cpuTime()
		for range iters {
			d.Decode(g)
		}
		el, elCPU := time.Since(start), cpuTime()-cpu
		fmt.Printf("%s\t%.3f\t%d\t%s\t%.3f\n", f[0], ms(el, iters), ok, step, ms(elCPU, iters))
	}
	return sc.Err()
}

// ms is d per iteration in milliseconds.
func ms(d time.Duration, iters int) float64 {
	return float64(d.Microseconds()) / 1000 / float64(iters)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
