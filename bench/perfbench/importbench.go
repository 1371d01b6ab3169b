package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"markd/mark"
	"markd/verify"
)

// bareVerify is the floor of import: a process that reads the file and
// checks every mark with the same verifier on every core (small chunks
// from a shared counter), storing nothing. perfbench runs itself with
// -verify-file for it, so process start counts on both sides.
func bareVerify(td, file string) error {
	v, err := verify.LoadFiles(filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), "")
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	ctx := mark.Context{Office: 426000, Date: mark.DayOf(time.Now())}
	var next, accepted atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(16)) - 16
				if lo >= len(lines) {
					return
				}
				for _, l := range lines[lo:min(lo+16, len(lines))] {
					if v.Verify(l, ctx).Verdict == mark.Accept {
						accepted.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if int(accepted.Load()) != len(lines) {
		return fmt.Errorf("bare verify: %d of %d accepted", accepted.Load(), len(lines))
	}
	fmt.Printf("verified %d\n", len(lines))
	return nil
}

var importRate = regexp.MustCompile(`imported ([0-9]+) scans`)

// measureImport times `markd import` of n marks into a new store made by
// `markd init` (process start and store open included, init not) against bareVerify of the same file,
// alternating, and returns the row: import's speed as a share of the
// bare verify's, pair by pair.
func measureImport(bin, self, td, dir string, n, rounds int) (row, error) {
	marks, err := signMarks(td, n)
	if err != nil {
		return row{}, err
	}
	file := filepath.Join(dir, "import.txt")
	if err := os.WriteFile(file, []byte(strings.Join(marks, "\n")+"\n"), 0o600); err != nil {
		return row{}, err
	}
	db := filepath.Join(dir, "import.db")
	cfg, err := writeConfig(dir, td, db, "")
	if err != nil {
		return row{}, err
	}
	var share, rate []float64
	for r := 0; r < rounds+1; r++ {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(db + s)
		}
		// A new store is made by markd init (import refuses any other);
		// its cost is not import's, so it runs before the clock starts.
		if out, err := exec.Command(bin, "init", "--config", cfg).CombinedOutput(); err != nil {
			return row{}, fmt.Errorf("markd init: %v\n%s", err, out)
		}
		start := time.Now()
		out, err := exec.Command(bin, "import", "--config", cfg, file).CombinedOutput()
		ti := time.Since(start)
		if err != nil || !importRate.Match(out) {
			return row{}, fmt.Errorf("markd import: %v\n%s", err, out)
		}
		start = time.Now()
		if out, err := exec.Command(self, "-testdata", td, "-verify-file", file).CombinedOutput(); err != nil {
			return row{}, fmt.Errorf("bare verify: %v\n%s", err, out)
		}
		tb := time.Since(start)
		if r > 0 { // the first round warms up
			share, rate = append(share, tb.Seconds()/ti.Seconds()), append(rate, float64(n)/ti.Seconds())
		}
	}
	f := func(v []float64) string {
		return fmt.Sprintf("%.0f/s", median(v))
	}
	return row{name: fmt.Sprintf("import %d marks (start + open + judge + store)", n), goal: "≥ 0.9× bare verify",
		measured: f(rate), ratio: spread(share), met: median(share) >= 0.9}, nil
}
