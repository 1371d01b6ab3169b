package sync

import (
	"context"
	"testing"
	"time"

	"markd/mark"
)

// BenchmarkDrainLoopback drains a backlog of b.N records from a counter
// store into an in-process collector (SQLite) over loopback HTTP.
func BenchmarkDrainLoopback(b *testing.B) {
	col := newCollector(b, "office-a")
	db := openCounter(b)
	if _, err := db.SQL().Exec(`PRAGMA synchronous = OFF`); err != nil { // setup only; one connection is enough
		b.Fatal(err)
	}
	db.SQL().SetMaxOpenConns(1)
	for i := range b.N {
		addScan(b, db, "1", 426000, mark.Accept, uint64(i+1), day0)
	}
	db.SQL().SetMaxOpenConns(0)
	if _, err := db.SQL().Exec(`PRAGMA synchronous = FULL`); err != nil {
		b.Fatal(err)
	}
	u := NewUploader(db, newClient(b, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 2000}, quiet, nil)
	b.ResetTimer()
	start := time.Now()
	if err := u.Drain(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	if pending(b, db) != 0 {
		b.Fatal("not drained")
	}
}
