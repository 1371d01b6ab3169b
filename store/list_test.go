package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"markd/mark"
)

// listFixture stores n records: every third a REJECT (UNDERPAID, every
// sixth also EXPIRED), counters A/B alternating, one minute apart, with
// times that differ in their fraction of a second too.
func listFixture(t testing.TB, db *DB, n int) []*mark.Record {
	recs := make([]*mark.Record, n)
	for i := range recs {
		counter := "A"
		if i%2 == 1 {
			counter = "B"
		}
		at := t0.Add(time.Duration(i)*time.Minute + time.Duration(i%10)*100*time.Millisecond)
		if i%3 == 0 {
			reasons := []mark.Reason{mark.ReasonUnderpaid}
			if i%6 == 0 {
				reasons = append(reasons, mark.ReasonExpired)
			}
			recs[i] = scRec(uint64(i), counter, at, mark.Reject, reasons...)
		} else {
			recs[i] = scRec(uint64(i), counter, at, mark.Accept)
		}
		recs[i].Operator = "ivan"
	}
	if err := db.SaveBatch(context.Background(), recs, time.Minute); err != nil {
		t.Fatalf("save batch: %v", err)
	}
	return recs
}

func TestListFilterPaging(t *testing.T) {
	db, _ := scOpen(t)
	const n = 250
	listFixture(t, db, n)
	tests := []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, n},
		{"accepted", Filter{Verdicts: []mark.Verdict{mark.Accept}}, n - (n+2)/3},
		{"rejected", Filter{Verdicts: []mark.Verdict{mark.Reject}}, (n + 2) / 3},
		{"expired", Filter{Reasons: []mark.Reason{mark.ReasonExpired}}, (n + 5) / 6},
		{"counter B", Filter{Counter: "B"}, n / 2},
		{"first hour", Filter{From: t0, To: t0.Add(time.Hour)}, 60},
		{"operator", Filter{Operator: "olga"}, 0},
		{"contract", Filter{Contract: 1004417}, n},
		{"pending review", Filter{Review: []mark.ReviewState{mark.ReviewPending}}, (n + 2) / 3},
		{"reject B expired", Filter{Verdicts: []mark.Verdict{mark.Reject}, Counter: "B",
			Reasons: []mark.Reason{mark.ReasonExpired}}, 0}, // every sixth is even: counter A
	}
	for _, tc := range tests {
		for _, desc := range []bool{false, true} {
			f := tc.f
			f.Desc, f.Limit = desc, 37
			seen := map[string]bool{}
			var last time.Time
			pages := 0
			for {
				recs, next, err := db.List(context.Background(), f)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				pages++
				for _, r := range recs {
					if seen[r.ID] {
						t.Fatalf("%s desc=%v: record %s twice", tc.name, desc, r.ID)
					}
					seen[r.ID] = true
					if !last.IsZero() && (desc && r.At.After(last) || !desc && r.At.Before(last)) {
						t.Fatalf("%s desc=%v: out of order: %v after %v", tc.name, desc, r.At, last)
					}
					last = r.At
				}
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if len(seen) != tc.want {
				t.Errorf("%s desc=%v: %d records in %d pages, want %d", tc.name, desc, len(seen), pages, tc.want)
			}
		}
	}
	if _, _, err := db.List(context.Background(), Filter{Cursor: "!!bad"}); !errors.Is(err, mark.ErrInvalid) {
		t.Errorf("bad cursor: %v, want ErrInvalid", err)
	}
	recs, _, err := db.List(context.Background(), Filter{Limit: MaxLimit * 10})
	if err != nil || len(recs) != n {
		t.Errorf("big limit: %d records, %v", len(recs), err)
	}
}

// TestConcurrentReaders: the API reads while the pipeline writes; no
// reader fails or sees a half-written record.
func TestConcurrentReaders(t *testing.T) {
	db, _ := scOpen(t)
	n := 400
	if testing.Short() {
		n = 100
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				recs, _, err := db.List(ctx, Filter{Desc: true, Limit: 50})
				if err != nil && ctx.Err() == nil {
					t.Errorf("list during writes: %v", err)
					return
				}
				for _, r := range recs {
					if r.ID == "" || r.Verdict == "" || (r.Verdict == mark.Accept && r.Mark == nil) {
						t.Errorf("half record: %+v", r)
						return
					}
				}
				reads.Add(1)
			}
		}()
	}
	for i := 0; i < n; i++ {
		if err := db.Save(context.Background(), scRec(uint64(i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	cancel()
	wg.Wait()
	c, err := db.Counts(context.Background())
	if err != nil || c[mark.Accept] != n {
		t.Errorf("counts %v %v, want %d accepted", c, err, n)
	}
	if reads.Load() == 0 {
		t.Error("no read completed during the writes")
	}
}

func TestBackup(t *testing.T) {
	db, _ := scOpen(t)
	listFixture(t, db, 20)
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	cp, err := Open(context.Background(), dst, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	recs, _, err := cp.List(context.Background(), Filter{})
	if err != nil || len(recs) != 20 {
		t.Errorf("backup holds %d records (%v), want 20", len(recs), err)
	}
	if err := db.Backup(context.Background(), dst); !errors.Is(err, mark.ErrUnavailable) {
		t.Errorf("backup over an existing file: %v, want ErrUnavailable", err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(formatTime(t0), "01a2-id"))
	f.Add("")
	f.Add("!!")
	f.Add(encodeCursor("x", "y"))
	f.Fuzz(func(t *testing.T, c string) {
		at, id, err := decodeCursor(c)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if id == "" {
			t.Fatal("empty id accepted")
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Fatalf("bad time accepted: %q", at)
		}
	})
}

// BenchmarkBareCommit is one single-row insert per durable commit (WAL,
// synchronous=FULL): the floor under a scan's latency.
func BenchmarkBareCommit(b *testing.B) {
	db, _ := scOpen(b)
	if _, err := db.SQL().Exec(`CREATE TABLE bare (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.SQL().Exec(`INSERT INTO bare(v) VALUES (?)`, "EPM1:TEXT"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSave is one scan through Save: reuse lookup, insert, used serial.
func BenchmarkSave(b *testing.B) {
	db, _ := scOpen(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Save(context.Background(), scRec(uint64(i), "A", t0, mark.Accept), time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveBatch is the import path: 1000 scans per transaction.
func BenchmarkSaveBatch(b *testing.B) {
	db, _ := scOpen(b)
	recs := make([]*mark.Record, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range recs {
			recs[j] = scRec(uint64(i*len(recs)+j), "A", t0, mark.Accept)
		}
		if err := db.SaveBatch(context.Background(), recs, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "scans/s")
}
