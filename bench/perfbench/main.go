// Command perfbench measures what issue 12 asks of markd and prints one
// table, a row per figure: goal, measured (median and the spread over
// several runs), ratio, met.
//
//   - Reads at a million scans against ten thousand (the review page, its
//     count, the CSV export, the day chart, the API filters, the operator
//     screen, the outbox), alternating the two stores in every round.
//   - `markd run` start on the 1M store (exec → listening).
//   - P1 at steady state: `markd run` on the 1M store, fed one mark at a
//     time on stdin and through a serial pty, each scan followed by one
//     bare single-row commit with the same WAL discipline on the same file
//     system (warmed, checkpointed): p50 and p99 against the bare p50.
//     With `least` (in make bench), each markd run is followed by the least
//     process on the same path (reads the line, commits one bare row,
//     answers): what the path costs, and markd ÷ it.
//
// The stores are generated once and cached under bench/.cache/ (gitignored;
// the name carries a hash of the migrations, so a new schema regenerates).
// The P1 runs append their scans to the cached 1M store, as a counter
// does; they are deleted again before the next measure, so every measure
// starts from the generated store. Run from the repository root:
// bash bench/perf.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// sizes names the two stores in the table ("1M", "10k").
var sizes struct{ big, small string }

func sizeName(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

type row struct {
	name, goal, measured, ratio string
	met                         bool
}

func main() {
	bin := flag.String("markd", "bin/markd", "markd binary")
	td := flag.String("testdata", "../shared/testdata", "shared test data (keyring, tariffs, issuer keys)")
	cache := flag.String("cache", "bench/.cache", "folder of the generated stores (and the P1 work files)")
	big := flag.Int("big", 1000000, "scans of the big store")
	small := flag.Int("small", 10000, "scans of the small store")
	rounds := flag.Int("rounds", 15, "rounds of the read measures")
	p1n := flag.Int("n", 2000, "timed scans per P1 run")
	flag.IntVar(&warmOps, "warm", warmOps, "untimed operations before each timed series (P1, store.Save, the boundary, the bare commit)")
	flag.DurationVar(&p1Gap, "gap", 0, "P1: pause after each scan and bare commit pair (0: back to back)")
	p1runs := flag.Int("runs", 5, "runs of store.Save, pipeline.Process and the boundary; P1 rounds, each running markd once per source, the sources in turn")
	only := flag.String("only", "reads,start,save,process,stdin,serial,least,boundary,import", "measures to run, comma-separated (least: the least process beside each P1 run; also: floor, serial-socat)")
	imports := flag.Int("import", 40000, "marks of the import measure")
	verifyFile := flag.String("verify-file", "", "internal: verify every line of this file on all cores and exit (the import floor)")
	verifyBatch := flag.Bool("verify-batch", false, "internal: with -verify-file, in Ed25519 batches as import does")
	flag.IntVar(&importRounds, "import-runs", 5, "timed rounds of the import measure (after one warm-up)")
	flag.BoolVar(&netpollRead, "netpoll-read", false, "read the children's verdict lines through Go's netpoller (the way before 2026-12-02, for comparison)")
	flag.BoolVar(&runtimeIO, "runtime-io", false, "write the lines and read the verdicts through the runtime's syscalls (the way before 2026-12-02 14:30, for comparison)")
	echo := flag.String("echo", "", "internal: echo lines from stdin or from this tty to stdout (the process boundary of P1)")
	least := flag.String("least", "", "internal: the least process on P1's path, reading stdin or this tty (with -least-db)")
	leastDB := flag.String("least-db", "", "internal: the bare file of -least")
	flag.Parse()
	if *least != "" {
		if err := runLeast(*least, *leastDB); err != nil {
			fmt.Fprintln(os.Stderr, "perfbench -least:", err)
			os.Exit(1)
		}
		return
	}
	if *echo != "" {
		if err := runEcho(*echo); err != nil {
			fmt.Fprintln(os.Stderr, "perfbench -echo:", err)
			os.Exit(1)
		}
		return
	}
	if *verifyFile != "" {
		if err := bareVerify(*td, *verifyFile, *verifyBatch); err != nil {
			fmt.Fprintln(os.Stderr, "perfbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*bin, *td, *cache, *big, *small, *rounds, *p1n, *p1runs, *imports, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "perfbench:", err)
		os.Exit(1)
	}
}

func run(bin, td, cache string, nBig, nSmall, rounds, p1n, p1runs, nImport int, only []string) error {
	sizes.big, sizes.small = sizeName(nBig), sizeName(nSmall)
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "perfbench: "+f+"\n", a...) }
	// Import makes its own stores: `-only import` needs neither cached one
	// (the 1M store takes minutes to generate on a loaded machine).
	var small, big string
	if slices.ContainsFunc(only, func(m string) bool { return m != "import" }) {
		var err error
		if small, err = cachedStore(cache, nSmall, logf); err != nil {
			return err
		}
		if big, err = cachedStore(cache, nBig, logf); err != nil {
			return err
		}
		for _, p := range []string{small, big} {
			if err := dropAppended(p); err != nil {
				return err
			}
		}
	}
	var rows []row
	if slices.Contains(only, "reads") {
		logf("reads: %d rounds", rounds)
		r, err := measureReads(small, big, rounds)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if slices.Contains(only, "start") {
		logf("markd run start: %d rounds", 7)
		r, err := measureStart(bin, td, cache, small, big, 7)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if slices.Contains(only, "save") {
		logf("store.Save: %d runs of %d", p1runs, p1n)
		if err := dropAppended(big); err != nil {
			return err
		}
		r, err := measureSave(cache, big, p1n, p1runs)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if slices.Contains(only, "process") {
		logf("pipeline.Process: %d runs of %d", p1runs, p1n)
		if err := dropAppended(big); err != nil {
			return err
		}
		r, err := measureProcess(td, cache, big, p1n, p1runs)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	var kinds []string
	for _, kind := range []string{"stdin", "serial", "serial-socat"} {
		if slices.Contains(only, kind) {
			kinds = append(kinds, kind)
		}
	}
	if len(kinds) > 0 {
		if err := dropAppended(big); err != nil {
			return err
		}
		logf("P1 %s: %d rounds of %d scans each, in turn", strings.Join(kinds, ", "), p1runs, p1n)
		r, err := measureP1(bin, td, cache, big, kinds, p1n, p1runs, slices.Contains(only, "least"), logf)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	for _, kind := range []string{"stdin", "serial"} {
		if !slices.Contains(only, "boundary") {
			break
		}
		logf("P1 %s process boundary: %d runs of %d lines", kind, p1runs, p1n)
		r, err := measureBoundary(td, cache, kind, p1n, p1runs)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if slices.Contains(only, "floor") {
		if err := dropAppended(big); err != nil {
			return err
		}
		r, err := measureFloor(bin, td, big, p1n, p1runs, logf)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if slices.Contains(only, "import") {
		logf("import: %d runs of %d marks", importRounds, nImport)
		self, err := os.Executable()
		if err != nil {
			return err
		}
		r, err := measureImport(bin, self, td, cache, nImport, importRounds)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if big != "" {
		if err := dropAppended(big); err != nil {
			return err
		}
	}
	printTable(rows)
	return nil
}

func printTable(rows []row) {
	fmt.Printf("%-56s | %-16s | %-26s | %-22s | %s\n", "measure", "goal", "measured: median [min–max]", "ratio: median [min–max]", "met")
	fmt.Println(strings.Repeat("-", 140))
	for _, r := range rows {
		met := ""
		if r.goal != "floor" && r.goal != "" && r.goal[0] != '(' {
			met = map[bool]string{true: "yes", false: "NO"}[r.met]
		}
		fmt.Printf("%-56s | %-16s | %-26s | %-22s | %s\n", r.name, r.goal, r.measured, r.ratio, met)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(v []float64) string {
	return fmt.Sprintf("%.2f [%.2f–%.2f]", median(v), slices.Min(v), slices.Max(v))
}

// spreadUs is spread for durations in seconds, shown in µs.
func spreadUs(v []float64) string {
	return fmt.Sprintf("%.0f µs [%.0f–%.0f]", median(v)*1e6, slices.Min(v)*1e6, slices.Max(v)*1e6)
}

// spreadN is spread for counts, one decimal.
func spreadN(v []float64) string {
	return fmt.Sprintf("%.1f [%.1f–%.1f]", median(v), slices.Min(v), slices.Max(v))
}

func spreadMs(v []float64) string {
	f := func(s float64) string {
		if s >= 1 {
			return fmt.Sprintf("%.2f s", s)
		}
		return fmt.Sprintf("%.3f ms", s*1000)
	}
	return fmt.Sprintf("%s [%s–%s]", f(median(v)), f(slices.Min(v)), f(slices.Max(v)))
}
