package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// BenchmarkCheck2000 measures the collector's check of one upload of 2000
// accepted records (Ed25519 signature and fields of each, on all cores):
// records/s, and CPU µs per record with -cpu 1.
func BenchmarkCheck2000(b *testing.B) {
	c, recs := checker2000(b)
	var spent time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		for i := range recs {
			recs[i].Verification, recs[i].Digest = "", ""
		}
		start := time.Now()
		if err := c.Check(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	if recs[0].Verification != hub.Verified {
		b.Fatalf("not verified: %s", recs[0].Why)
	}
	b.ReportMetric(float64(b.N*len(recs))/spent.Seconds(), "records/s")
	// CPU time says what a record costs on an idle machine: a shared,
	// loaded one stretches the wall time, not this.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*len(recs)), "cpu-µs/record")
}

// BenchmarkJudge2000 measures the collector's second judgment of one
// upload of 2000 verified ACCEPTs (Checker.Judge, after Check): the §7
// step 4 checks of each mark under the published lists, the signature not
// checked again. CPU µs per record with -cpu 1.
func BenchmarkJudge2000(b *testing.B) {
	c, recs := checker2000(b)
	if err := c.Check(context.Background(), recs); err != nil {
		b.Fatal(err)
	}
	received := recs[0].At.Add(time.Hour)
	cpu0 := cpuTime()
	for b.Loop() {
		if n, err := c.Judge(context.Background(), recs, hub.JudgeBy{Received: received, Skew: 5 * time.Minute}); err != nil || n != 0 {
			b.Fatalf("%d disputed: %s", n, recs[0].Why)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*len(recs)), "cpu-µs/record")
}

// checker2000 is the checker of a SQLite collector with the test lists
// published, and 2000 accepted records of signed marks for it.
func checker2000(b *testing.B) (*hub.Checker, []hub.Record) {
	b.Helper()
	s, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	hubtest.Publish(b, s)
	recs := make([]hub.Record, 2000)
	for i := range recs {
		recs[i] = hubtest.Rec(fmt.Sprintf("r-%d", i), 426000, "1", mark.Accept, uint64(i+1))
	}
	return hub.NewChecker(s), recs
}
