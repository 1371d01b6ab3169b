package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// setup returns a pipeline on a real store and the real verifier, and a
// function that signs a valid mark with the given serial.
func setup(t testing.TB) (*Pipeline, *store.DB, func(serial uint64) string) {
	t.Helper()
	td := testdata.Dir(t)
	v, err := verify.LoadFiles(filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
	p := New(Options{Verifier: verify.NewHolder(v), Store: db, Office: 426000, Counter: "A",
		Location: time.UTC, RescanWindow: 10 * time.Minute, Now: func() time.Time { return now }})
	signer, day := testdata.Signer(t), mark.DayOf(now)
	return p, db, func(serial uint64) string { return signer(testdata.ValidMark(serial, day)) }
}

func TestProcess(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	feed, cancel := p.Subscribe()
	defer cancel()
	p.SetOperator("ivan")
	a, b := sign(1), sign(2)
	tests := []struct {
		name    string
		scan    mark.Scan
		verdict mark.Verdict
		stored  bool
	}{
		{"valid mark", mark.Scan{Text: a, Source: "t"}, mark.Accept, true},
		{"again at once", mark.Scan{Text: a, Source: "t"}, mark.DuplicateScan, true},
		{"at counter B", mark.Scan{Text: a, Source: "t", Counter: "B"}, mark.Reject, true},
		{"not a mark", mark.Scan{Text: "4600000000001", Source: "t"}, mark.NotAMark, true},
		{"blank line", mark.Scan{Text: "  ", Source: "t"}, mark.NotAMark, false},
		{"broken mark", mark.Scan{Text: "EPM1:AAAA", Source: "t"}, mark.Reject, true},
		{"second mark", mark.Scan{Text: b, Source: "t", At: now.Add(time.Hour)}, mark.Accept, true},
	}
	for _, tc := range tests {
		rec := p.Process(ctx, tc.scan)
		if rec.Verdict != tc.verdict || (rec.ID != "") != tc.stored {
			t.Errorf("%s: verdict %s id %q, want %s stored=%v", tc.name, rec.Verdict, rec.ID, tc.verdict, tc.stored)
			continue
		}
		if !tc.stored {
			continue
		}
		got, err := db.Get(ctx, rec.ID)
		if err != nil || got.Verdict != rec.Verdict || got.Operator != "ivan" || got.Versions.Keyring == "" {
			t.Errorf("%s: stored %+v %v", tc.name, got, err)
		}
		select {
		case pub := <-feed:
			if pub.ID != rec.ID {
				t.Errorf("%s: published %s, want %s", tc.name, pub.ID, rec.ID)
			}
		default:
			t.Errorf("%s: nothing published", tc.name)
		}
	}
}

// TestStoreFailure: a full disk gives ERROR (never ACCEPT) with the
// operator message; the same mark is accepted once the disk recovers.
func TestStoreFailure(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	db.FailWrite = func() error { return syscall.ENOSPC }
	text := sign(5)
	rec := p.Process(ctx, mark.Scan{Text: text, Source: "t"})
	if rec.Verdict != mark.Error || rec.Message != ErrorMessage || rec.ID != "" {
		t.Fatalf("on full disk: %+v", rec)
	}
	if p.StoreErr() == nil {
		t.Error("StoreErr is nil after a failed write")
	}
	db.FailWrite = nil
	rec = p.Process(ctx, mark.Scan{Text: text, Source: "t"})
	if rec.Verdict != mark.Accept || rec.ID == "" {
		t.Fatalf("after recovery: %+v", rec)
	}
	if p.StoreErr() != nil {
		t.Errorf("StoreErr after recovery: %v", p.StoreErr())
	}
}

// TestSlowSubscriber: a subscriber that never reads does not hold up scans.
func TestSlowSubscriber(t *testing.T) {
	p, _, sign := setup(t)
	_, cancel := p.Subscribe()
	defer cancel()
	fast, cancelFast := p.Subscribe()
	n := 100 // more than the channel buffer
	for i := 0; i < n; i++ {
		p.Process(context.Background(), mark.Scan{Text: sign(uint64(100 + i)), Source: "t"})
	}
	cancelFast()
	got := 0
	for range fast {
		got++
	}
	if got == 0 || got > n {
		t.Errorf("fast subscriber got %d of %d", got, n)
	}
}

// lineSource emits fixed texts and records the feedback it gets.
type lineSource struct {
	texts []string
	mu    sync.Mutex
	fb    []mark.Verdict
}

func (s *lineSource) Name() string              { return "lines" }
func (s *lineSource) Health() mark.SourceHealth { return mark.SourceHealth{Name: "lines", Up: true} }
func (s *lineSource) Serve(ctx context.Context, emit func(mark.Scan)) error {
	for _, t := range s.texts {
		emit(mark.Scan{Text: t})
	}
	return nil
}
func (s *lineSource) Feedback(v mark.Verdict) { s.mu.Lock(); s.fb = append(s.fb, v); s.mu.Unlock() }

// TestYielder: a yield at the first scan, then only once `every` passed.
func TestYielder(t *testing.T) {
	clock := time.Unix(0, 0)
	y := yielder{every: 5 * time.Millisecond, now: func() time.Time { return clock }}
	var got []bool
	for _, step := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, time.Millisecond, 0, 10 * time.Millisecond} {
		clock = clock.Add(step)
		got = append(got, y.yield())
	}
	want := []bool{true, false, false, true, false, true}
	if !slices.Equal(got, want) {
		t.Errorf("yields %v, want %v", got, want)
	}
}

// TestYieldPassesTheScheduler: a yield takes the goroutine through Go's
// scheduler, which shows in the runtime's scheduling-latency histogram
// (one goroutine's transitions to running, sampled one in 8); a loop of
// system calls and cgo calls alone adds next to nothing to it.
func TestYieldPassesTheScheduler(t *testing.T) {
	const n = 400
	y := yielder{every: 0, now: time.Now}
	before := schedSamples(t)
	for range n {
		syscall.Getpid()
		y.yield()
	}
	if got := schedSamples(t) - before; got < n/16 {
		t.Errorf("%d scheduling samples over %d yields, want at least %d (sampled 1 in 8)", got, n, n/16)
	}
}

// schedSamples is the count of the runtime's /sched/latencies:seconds.
func schedSamples(t *testing.T) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		t.Skip("this runtime has no /sched/latencies:seconds")
	}
	var n uint64
	for _, c := range s[0].Value.Float64Histogram().Counts {
		n += c
	}
	return n
}

func TestRunFeedback(t *testing.T) {
	p, _, sign := setup(t)
	a := sign(9)
	src := &lineSource{texts: []string{a, "", a, "hello"}}
	var recs []mark.Record
	p.Run(context.Background(), []mark.Source{src}, func(r mark.Record) { recs = append(recs, r) })
	want := []mark.Verdict{mark.Accept, mark.DuplicateScan, mark.NotAMark}
	if len(src.fb) != len(want) || len(recs) != len(want) {
		t.Fatalf("feedback %v, records %d; want %v", src.fb, len(recs), want)
	}
	for i := range want {
		if src.fb[i] != want[i] || recs[i].Source != "lines" {
			t.Errorf("scan %d: feedback %s source %q, want %s from lines", i, src.fb[i], recs[i].Source, want[i])
		}
	}
}

// BenchmarkProcess is P1 in-process: verify + durable store of a new mark.
func BenchmarkProcess(b *testing.B) {
	p, _, sign := setup(b)
	texts := make([]string, b.N)
	for i := range texts {
		texts[i] = sign(uint64(1000 + i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := p.Process(context.Background(), mark.Scan{Text: texts[i], Source: "b"}); r.Verdict != mark.Accept {
			b.Fatalf("verdict %s", r.Verdict)
		}
	}
}

// TestReuseStored: the store claims a serial after inserting the row and
// rewrites the row when the serial was taken; what is stored is what
// Process returned (verdict, reasons, first acceptance, review state).
func TestReuseStored(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	text := sign(7)
	first := p.Process(ctx, mark.Scan{Text: text, Source: "t"})
	dup := p.Process(ctx, mark.Scan{Text: text, Source: "t"})
	reused := p.Process(ctx, mark.Scan{Text: text, Source: "t", Counter: "B"})
	if first.Verdict != mark.Accept || dup.Verdict != mark.DuplicateScan || reused.Verdict != mark.Reject {
		t.Fatalf("verdicts %s %s %s, want ACCEPT DUPLICATE_SCAN REJECT", first.Verdict, dup.Verdict, reused.Verdict)
	}
	for _, r := range []mark.Record{dup, reused} {
		got, err := db.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Verdict != r.Verdict || !slices.Equal(got.Reasons, r.Reasons) || got.Review != r.Review ||
			got.FirstAccepted == nil || got.FirstAccepted.RecordID != first.ID || r.FirstAccepted.RecordID != first.ID ||
			!got.FirstAccepted.At.Equal(r.FirstAccepted.At) || got.FirstAccepted.Counter != r.FirstAccepted.Counter ||
			got.FirstAccepted.Office != r.FirstAccepted.Office {
			t.Errorf("stored %s %v %q %+v, returned %s %v %q %+v", got.Verdict, got.Reasons, got.Review, got.FirstAccepted,
				r.Verdict, r.Reasons, r.Review, r.FirstAccepted)
		}
	}
	if reused.Review != mark.ReviewPending || !slices.Contains(reused.Reasons, mark.ReasonReused) {
		t.Errorf("reused record: review %q reasons %v", reused.Review, reused.Reasons)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM used_serials WHERE serial = 7`).Scan(&n); err != nil || n != 1 {
		t.Errorf("used_serials rows for 7: %d (%v), want 1", n, err)
	}
}

// TestWALBounded: checkpoints run after a scan's commit, not in it;
// back-to-back scans (no gap for a checkpoint to finish alone) must still
// restart the WAL, so the file keeps the length of one checkpoint cycle
// (store.CheckpointEvery scans). (The bound is loose for loaded CI
// machines.)
func TestWALBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("two checkpoint cycles of scans")
	}
	p, db, sign := setup(t)
	ctx := context.Background()
	const n = 2*store.CheckpointEvery + 500
	texts := make([]string, n)
	for i := range texts {
		texts[i] = sign(uint64(100_000 + i))
	}
	var most int64
	for i, text := range texts {
		if r := p.Process(ctx, mark.Scan{Text: text, Source: "t"}); r.Verdict != mark.Accept {
			t.Fatalf("scan %d: %s %s", i, r.Verdict, r.Message)
		}
		if st, err := os.Stat(db.Path() + "-wal"); err == nil {
			most = max(most, st.Size())
		}
	}
	// One cycle: CheckpointEvery scans of ~5 frames of 4 KB, 8 at most
	// (~40 MB here); a WAL that never restarts reaches ~5 frames a scan
	// for all n scans (~95 MB).
	if most > store.CheckpointEvery*8*(4096+24) {
		t.Errorf("WAL grew to %d bytes over %d scans", most, n)
	}
	t.Logf("largest WAL %d bytes", most)
}
