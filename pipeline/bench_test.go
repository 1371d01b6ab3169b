package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"

	"markd/mark"
)

// BenchmarkP1VsBare interleaves one Process of a new mark with one bare
// single-row commit (WAL, FULL) on the same disk and reports both medians
// and their ratio (goal ≤ 1.5), so disk and CPU load hit both alike.
func BenchmarkP1VsBare(b *testing.B) {
	p, db, sign := setup(b)
	if _, err := db.SQL().Exec(`CREATE TABLE bare (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	texts := make([]string, b.N)
	for i := range texts {
		texts[i] = sign(uint64(5000 + i))
	}
	proc := make([]time.Duration, 0, b.N)
	bare := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if r := p.Process(context.Background(), mark.Scan{Text: texts[i], Source: "b"}); r.Verdict != mark.Accept {
			b.Fatalf("verdict %s", r.Verdict)
		}
		proc = append(proc, time.Since(start))
		start = time.Now()
		if _, err := db.SQL().Exec(`INSERT INTO bare(v) VALUES (?)`, texts[i]); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	slices.Sort(proc)
	slices.Sort(bare)
	pm, bm := proc[len(proc)/2], bare[len(bare)/2]
	b.ReportMetric(float64(pm.Microseconds()), "p50-process-µs")
	b.ReportMetric(float64(bm.Microseconds()), "p50-bare-µs")
	b.ReportMetric(float64(pm)/float64(bm), "ratio")
}
