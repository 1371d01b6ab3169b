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
	"markd/pipeline"
	"markd/verify"
)

// importRounds is the number of timed rounds of the import measure.
var importRounds = 3

// bareVerify is the floor of import: a process that reads the file and
// checks every mark with the same verifier on every core (small chunks
// from a shared counter), storing nothing. perfbench runs itself with
// -verify-file for it, so process start counts on both sides. The goal's
// floor checks one mark at a time (issue 12: "a bare parallel verify";
// batch verification is how import may pass it). With batch, it checks
// chunks of pipeline.BatchChunk as Ed25519 batches, as import's judge does
// (pipeline.JudgeBatch, Verifier.VerifyBatch): the floor of import's own
// verification, printed beside the goal for information.
func bareVerify(td, file string, batch bool) error {
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
	chunk := 16
	if batch {
		chunk = pipeline.BatchChunk // as import's judge cuts a 2000-scan batch on 2 cores
	}
	var next, accepted atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			cs := make([]mark.Context, chunk)
			for i := range cs {
				cs[i] = ctx
			}
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= len(lines) {
					return
				}
				part := lines[lo:min(lo+chunk, len(lines))]
				if batch {
					for _, r := range v.VerifyBatch(part, cs[:len(part)]) {
						if r.Verdict == mark.Accept {
							accepted.Add(1)
						}
					}
					continue
				}
				for _, l := range part {
					if v.Verify(l, ctx).Verdict == mark.Accept {
						accepted.Add(1)
					}
				}
			}
		})
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
// `markd init` (process start and store open included, init not) against
// bareVerify of the same file, one by one and in batches, in turn, and
// returns the rows: import's speed as a share of each bare verify's,
// round by round.
func measureImport(bin, self, td, dir string, n, rounds int) ([]row, error) {
	marks, err := signMarks(td, n)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "import.txt")
	if err := os.WriteFile(file, []byte(strings.Join(marks, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "import.db")
	cfg, err := writeConfig(dir, td, db, "")
	if err != nil {
		return nil, err
	}
	var share, shareBatch, rate []float64
	bare := func(args ...string) (time.Duration, error) {
		start := time.Now()
		if out, err := exec.Command(self, append([]string{"-testdata", td, "-verify-file", file}, args...)...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("bare verify: %v\n%s", err, out)
		}
		return time.Since(start), nil
	}
	for r := 0; r < rounds+1; r++ {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(db + s)
		}
		// A new store is made by markd init (import refuses any other);
		// its cost is not import's, so it runs before the clock starts.
		if out, err := exec.Command(bin, "init", "--config", cfg).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("markd init: %v\n%s", err, out)
		}
		start := time.Now()
		out, err := exec.Command(bin, "import", "--config", cfg, file).CombinedOutput()
		ti := time.Since(start)
		if err != nil || !importRate.Match(out) {
			return nil, fmt.Errorf("markd import: %v\n%s", err, out)
		}
		tb, err := bare()
		if err != nil {
			return nil, err
		}
		tbb, err := bare("-verify-batch")
		if err != nil {
			return nil, err
		}
		if r > 0 { // the first round warms up
			share, rate = append(share, tb.Seconds()/ti.Seconds()), append(rate, float64(n)/ti.Seconds())
			shareBatch = append(shareBatch, tbb.Seconds()/ti.Seconds())
		}
	}
	f := func(v []float64) string {
		return fmt.Sprintf("%.0f/s", median(v))
	}
	return []row{
		{name: fmt.Sprintf("import %d marks (start + open + judge + store)", n), goal: "≥ 0.9× bare verify",
			measured: f(rate), ratio: spread(share), met: median(share) >= 0.9},
		{name: "import ÷ bare verify in Ed25519 batches (information)", goal: "(import's own checks)", ratio: spread(shareBatch)},
	}, nil
}
