package hubtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// BenchIngest measures Ingest of batches of size records (distinct
// serials, all accepted) and reports records/s.
func BenchIngest(b *testing.B, s hub.Store, size int) {
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "bench", Office: 426000, TokenHash: hub.HashToken("bench"), Created: t0}); err != nil {
		b.Fatal(err)
	}
	serial := uint64(1)
	var spent time.Duration
	for i := range b.N {
		b.StopTimer()
		q := hub.UploadRequest{Records: make([]hub.Record, size)}
		for j := range q.Records {
			q.Records[j] = Rec(fmt.Sprintf("%08d-%05d", i, j), 426000, "1", mark.Accept, serial)
			serial++
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.Ingest(ctx, "bench", &q, t0); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(b.N*size)/spent.Seconds(), "records/s")
}
