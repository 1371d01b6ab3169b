package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"markd/mark"
)

// TestSaveBatchParts: rows stored with columns encoded before the write
// (EncodeRows, SaveBatchParts) are the rows SaveBatch stores; parts that
// do not fit their records (encoded from other marks or times, or too
// few) are not used.
func TestSaveBatchParts(t *testing.T) {
	ctx := context.Background()
	scen := bulkScenario(3, 300)
	save := func(t *testing.T, parts func(recs []mark.Record) []RowParts) []string {
		db := bulkStore(t)
		recs := make([]mark.Record, len(scen))
		copy(recs, scen)
		ptrs := make([]*mark.Record, len(recs))
		for i := range recs {
			ptrs[i] = &recs[i]
		}
		var err error
		if parts == nil {
			err = db.SaveBatch(ctx, ptrs, 10*time.Minute)
		} else {
			err = db.SaveBatchParts(ctx, ptrs, parts(recs), 10*time.Minute)
		}
		if err != nil {
			t.Fatal(err)
		}
		return storedRows(t, db)
	}
	want := save(t, nil)
	encoded := func(recs []mark.Record) []RowParts {
		parts := make([]RowParts, len(recs))
		EncodeRows(recs, parts)
		return parts
	}
	tests := []struct {
		name  string
		parts func(recs []mark.Record) []RowParts
	}{
		{"encoded from the records", encoded},
		{"encoded from other marks and times", func(recs []mark.Record) []RowParts {
			other := make([]mark.Record, len(recs))
			for i, r := range recs {
				r.At = r.At.Add(time.Second)
				if r.Mark != nil {
					m := *r.Mark
					m.Serial += 1000
					r.Mark = &m
				}
				other[i] = r
			}
			return encoded(other)
		}},
		{"same marks, other times", func(recs []mark.Record) []RowParts {
			other := make([]mark.Record, len(recs))
			for i, r := range recs {
				r.At = r.At.Add(-time.Hour)
				other[i] = r
			}
			return encoded(other)
		}},
		{"too few", func(recs []mark.Record) []RowParts { return encoded(recs[:len(recs)-1]) }},
		{"none encoded", func(recs []mark.Record) []RowParts { return make([]RowParts, len(recs)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := save(t, tt.parts)
			if !reflect.DeepEqual(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("row %d:\n got  %s\n want %s", i, got[i], want[i])
					}
				}
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
		})
	}
}

// BenchmarkSaveBatchParts is BenchmarkSaveBatch with the row columns
// encoded before (EncodeRows, outside the timer, as import's judging
// workers do) against encoded by the writer: the writer's share.
func BenchmarkSaveBatchParts(b *testing.B) {
	for _, pre := range []bool{false, true} {
		b.Run(map[bool]string{false: "writer encodes", true: "encoded before"}[pre], func(b *testing.B) {
			db, _ := scOpen(b)
			recs := make([]mark.Record, 1000)
			ptrs := make([]*mark.Record, len(recs))
			parts := make([]RowParts, len(recs))
			n := 0
			for b.Loop() {
				b.StopTimer()
				for j := range recs {
					recs[j] = *scRec(uint64(n), "A", t0.Add(time.Duration(n)), mark.Accept)
					ptrs[j] = &recs[j]
					n++
				}
				if pre {
					EncodeRows(recs, parts)
				}
				b.StartTimer()
				var err error
				if pre {
					err = db.SaveBatchParts(context.Background(), ptrs, parts, time.Minute)
				} else {
					err = db.SaveBatch(context.Background(), ptrs, time.Minute)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1000, "µs/scan")
		})
	}
}

// TestSaveBatchIDs: the ids the bulk path gives (random bits read ahead
// from crypto/rand) are UUIDv7, unique, rising in the order stored, and
// not alike in their random bits.
func TestSaveBatchIDs(t *testing.T) {
	db := bulkStore(t)
	recs := make([]*mark.Record, 600)
	for i := range recs {
		recs[i] = scRec(uint64(5000+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept)
	}
	if err := db.SaveBatch(context.Background(), recs, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	tails := map[string]bool{}
	for i, r := range recs {
		id, err := uuid.Parse(r.ID)
		if err != nil || id.Version() != 7 {
			t.Fatalf("record %d: id %q (%v) is not a UUIDv7", i, r.ID, err)
		}
		if i > 0 && r.ID <= recs[i-1].ID {
			t.Fatalf("record %d: id %s not after %s", i, r.ID, recs[i-1].ID)
		}
		tails[r.ID[24:]] = true // the last 48 random bits
	}
	if len(tails) != len(recs) {
		t.Fatalf("%d distinct random tails in %d ids", len(tails), len(recs))
	}
}
