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
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "bench", TokenHash: hub.HashToken("bench"), Created: t0}); err != nil {
		b.Fatal(err)
	}
	batches := make([]hub.UploadRequest, b.N)
	serial := uint64(1)
	for i := range batches {
		recs := make([]hub.Record, size)
		for j := range recs {
			recs[j] = Rec(fmt.Sprintf("%08d-%05d", i, j), 426000, "1", mark.Accept, serial)
			serial++
		}
		batches[i].Records = recs
	}
	b.ResetTimer()
	start := time.Now()
	for i := range batches {
		if _, err := s.Ingest(ctx, "bench", &batches[i], t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "records/s")
}
