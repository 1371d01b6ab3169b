package pipeline

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"markd/mark"
	"markd/store"
)

// Judged is a batch of scans verified and not yet stored (JudgeBatch).
type Judged struct {
	recs  []mark.Record
	parts []store.RowParts // columns encoded beside the judging (store.EncodeRows), or nil
	start time.Time
}

// Len is the number of scans of the batch.
func (j Judged) Len() int { return len(j.recs) }

// ProcessBatch judges and records many scans in one transaction (group
// commit) and returns their records in order: what Process does for one
// scan, with the reuse rules applied in order, each scan seeing the ones
// before it. Either all are recorded or none is: on a store failure every
// record has verdict ERROR, no ID, and the error is returned. Blank scans
// are ignored as in Process (a record without ID, NOT_A_MARK, not stored
// nor published). Batches do not open a batch of their own (AutoBatch is
// for scans at the counter); a scan joins the batch its record names.
func (p *Pipeline) ProcessBatch(ctx context.Context, scans []mark.Scan) ([]mark.Record, error) {
	return p.StoreBatch(ctx, p.JudgeBatch(scans))
}

// JudgeBatch verifies scans on every core, keeping their order; it does
// not touch the store. With StoreBatch it is ProcessBatch in two steps, so
// a bulk import judges the next batch while the previous one commits.
// Workers take scans in chunks from a shared counter instead of one fixed
// share each: on a machine whose cores are also busy with the commit and
// with other programs, a fixed share left one worker idle while the other
// finished its half (issue 12: import ran at 0.60–0.66× of a bare
// parallel verify). A verifier that judges many texts at once
// (verify.Holder, verify.Verifier: Ed25519 batch verification) gets a
// chunk at a time; large chunks make the batch cheaper a signature, small
// ones share the work more evenly.
func (p *Pipeline) JudgeBatch(scans []mark.Scan) Judged {
	g := p.StartJudge(scans)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), g.chunks()) {
		wg.Go(func() {
			for g.Step() {
			}
		})
	}
	wg.Wait()
	return g.j
}

// Judging is a batch of scans being judged a chunk at a time by whichever
// goroutines call Step (StartJudge): a caller that schedules its own
// workers (markd import) judges with them between its other work. Done
// reports when every scan is judged, Judged returns the batch then.
type Judging struct {
	p       *Pipeline
	scans   []mark.Scan
	j       Judged
	bv      batchVerifier
	batched bool
	chunk   int
	next    atomic.Int64 // first scan of the next chunk to take
	left    atomic.Int64 // scans not judged yet
}

// StartJudge readies scans to be judged by Step; nothing is judged yet.
func (p *Pipeline) StartJudge(scans []mark.Scan) *Judging {
	g := &Judging{p: p, scans: scans, j: Judged{recs: make([]mark.Record, len(scans)),
		parts: make([]store.RowParts, len(scans)), start: time.Now()}, chunk: 16}
	g.bv, g.batched = p.opt.Verifier.(batchVerifier)
	if g.batched {
		g.chunk = chunkSize(len(scans))
	}
	g.left.Store(int64(len(scans)))
	return g
}

// chunks is the number of chunks of the batch.
func (g *Judging) chunks() int { return (len(g.scans) + g.chunk - 1) / g.chunk }

// Step judges the next chunk of the batch; false when every chunk was
// already taken (by this or another goroutine).
func (g *Judging) Step() bool {
	lo := int(g.next.Add(int64(g.chunk))) - g.chunk
	if lo >= len(g.scans) {
		return false
	}
	hi := min(lo+g.chunk, len(g.scans))
	if g.batched {
		g.p.judgeChunk(g.bv, g.scans[lo:hi], g.j.recs[lo:hi])
	} else {
		for i := lo; i < hi; i++ {
			if strings.TrimSpace(g.scans[i].Text) == "" {
				g.j.recs[i] = blankRecord(g.scans[i])
				continue
			}
			g.j.recs[i] = g.p.Judge(g.scans[i])
		}
	}
	// The row's columns that depend only on the record are encoded here,
	// on the judging workers, instead of by the one writer (the critical
	// path of markd import).
	store.EncodeRows(g.j.recs[lo:hi], g.j.parts[lo:hi])
	g.left.Add(int64(lo - hi))
	return true
}

// Pending reports whether a chunk is left for Step to take.
func (g *Judging) Pending() bool { return g.next.Load() < int64(len(g.scans)) }

// Done reports whether every scan of the batch is judged.
func (g *Judging) Done() bool { return g.left.Load() == 0 }

// Judged is the judged batch, for StoreBatch; only once Done.
func (g *Judging) Judged() Judged { return g.j }

// batchVerifier is a mark.Verifier that also judges many texts at once,
// with the results Verify would give one by one.
type batchVerifier interface {
	VerifyBatch(texts []string, cs []mark.Context) []mark.Result
}

// BatchChunk is the most scans a worker verifies as one Ed25519 batch:
// a larger batch costs less a signature (BenchmarkVerifyBatch, one core,
// 4 interleaved rounds at load 7–8: 256 marks 12.3–16.5 µs a mark, 512
// 13.1–13.9, 1000 10.7–13.3), a smaller one shares the work more evenly.
// A batch of scans is cut into one chunk per core up to this size
// (chunkSize), never below minChunk.
const BatchChunk = 1000

// minChunk is the smallest chunk chunkSize makes.
const minChunk = 64

// chunkSize is the chunk of a batch of n scans for a batch verifier.
func chunkSize(n int) int {
	procs := runtime.GOMAXPROCS(0)
	return min(BatchChunk, max(minChunk, (n+procs-1)/procs))
}

// judgeChunk is Judge for each scan of a chunk, verified with one call.
func (p *Pipeline) judgeChunk(bv batchVerifier, scans []mark.Scan, recs []mark.Record) {
	cb := chunkBufs.Get().(*chunkBuf)
	defer chunkBufs.Put(cb)
	js, at := cb.js[:0], cb.at[:0]
	for i, sc := range scans {
		if strings.TrimSpace(sc.Text) == "" {
			recs[i] = blankRecord(sc)
			continue
		}
		j, rec, done := p.prepare(sc)
		if done {
			recs[i] = rec
			continue
		}
		js = append(js, j)
		at = append(at, i)
	}
	texts := append(cb.texts[:0], make([]string, len(js))...)
	cs := append(cb.cs[:0], make([]mark.Context, len(js))...)
	for k := range js {
		texts[k], cs[k] = js[k].sc.Text, js[k].ctx
	}
	res := bv.VerifyBatch(texts, cs)
	for k, i := range at {
		recs[i] = p.judged(&js[k], res[k])
	}
	clear(js) // the pool holds no scan
	clear(texts)
	cb.js, cb.at, cb.texts, cb.cs = js[:0], at[:0], texts[:0], cs[:0]
}

// chunkBuf holds judgeChunk's buffers for the next chunk: ~250 KiB for
// a chunk of 1000, fresh memory for each cost page faults and garbage
// collection in markd import (docs/notes/perf.md).
type chunkBuf struct {
	js    []judging
	at    []int
	texts []string
	cs    []mark.Context
}

var chunkBufs = sync.Pool{New: func() any { return new(chunkBuf) }}

// blankRecord is the record of a blank scan (ignored, never stored).
func blankRecord(sc mark.Scan) mark.Record {
	return mark.Record{Verdict: mark.NotAMark, Source: sc.Source, Reasons: []mark.Reason{}}
}

// StoreBatch records a judged batch in one transaction, then publishes
// and observes every record, as ProcessBatch. The write is not cancelled
// by ctx.
func (p *Pipeline) StoreBatch(ctx context.Context, j Judged) ([]mark.Record, error) {
	return p.StoreImportBatch(ctx, j, nil)
}

// StoreImportBatch is StoreBatch that also records how far an import has
// come, m, in the batch's transaction (store.SaveImportBatch); when m is
// set and the batch holds no scan to store, m alone.
func (p *Pipeline) StoreImportBatch(ctx context.Context, j Judged, m *store.ImportMark) ([]mark.Record, error) {
	recs := j.recs
	ptrs := make([]*mark.Record, 0, len(recs))
	parts := j.parts[:0:0]
	for i := range recs {
		if !blank(recs[i]) {
			ptrs = append(ptrs, &recs[i])
			if i < len(j.parts) {
				parts = append(parts, j.parts[i])
			}
		}
	}
	var err error
	switch {
	case len(ptrs) == 0 && m == nil:
		return recs, nil
	case len(ptrs) == 0:
		return recs, p.opt.Store.MarkImport(context.WithoutCancel(ctx), m)
	case m != nil:
		err = p.opt.Store.SaveImportBatch(context.WithoutCancel(ctx), ptrs, parts, p.opt.RescanWindow, m)
	default:
		err = p.opt.Store.SaveBatchParts(context.WithoutCancel(ctx), ptrs, parts, p.opt.RescanWindow)
	}
	p.noteStore(err, len(ptrs), "")
	took := time.Since(j.start)
	for _, r := range ptrs {
		if err != nil {
			p.failed(r, err)
		}
		if p.opt.Observe != nil {
			p.opt.Observe(*r, took, err)
		}
		p.publish(*r)
	}
	return recs, err
}

// blank reports a record of a blank scan (ignored, never stored).
func blank(r mark.Record) bool {
	return r.ID == "" && r.Verdict == mark.NotAMark && strings.TrimSpace(r.Text) == ""
}

// noteStore keeps the store state after a write of n scans and logs a
// failure or the recovery.
func (p *Pipeline) noteStore(err error, n int, source string) {
	p.mu.Lock()
	recovered := err == nil && p.storeErr != nil
	if !errors.Is(err, mark.ErrConflict) { // a scan for a batch that is not open: the store is fine
		p.storeErr = err
	}
	p.mu.Unlock()
	switch {
	case err != nil:
		p.log.Error("scan not recorded", "source", source, "scans", n, "err", err, mark.HintAttr(err))
	case recovered:
		p.log.Info("store writes again")
	}
}

// failed turns a record that could not be stored into the fail-closed
// ERROR the operator sees.
func (p *Pipeline) failed(rec *mark.Record, err error) {
	rec.ID = ""
	rec.Verdict = mark.Error
	rec.Message = ErrorMessage
	if !errors.Is(err, mark.ErrUnavailable) {
		rec.Message = ErrorMessage + " (" + err.Error() + ")"
	}
}
