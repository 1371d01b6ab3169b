// Package pipeline turns scans into recorded verdicts: scan → verify →
// reuse and store (one durable transaction) → publish to live subscribers
// and the source's feedback. It fails closed: a verdict of ACCEPT leaves
// Process only after its row is committed; when the store cannot write,
// the scan gets verdict ERROR and the pipeline carries on, recovering as
// soon as the store does.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"markd/mark"
	"markd/store"
)

// Options configures a Pipeline.
type Options struct {
	Verifier     mark.Verifier
	Store        *store.DB
	Office       uint32
	Counter      string         // used when a scan names no counter
	Location     *time.Location // office time zone: acceptance dates
	RescanWindow time.Duration  // same text at same counter = DUPLICATE_SCAN
	Log          *slog.Logger
	Now          func() time.Time // clock for scans without a time
	// Observe, when set, is called after every scan with its record, the
	// time from arrival to durable verdict and the store error if any
	// (metrics).
	Observe func(rec mark.Record, took time.Duration, storeErr error)
	// Weight, when set, gives the weight on the counter scale in grams (0
	// when unknown); it is attached to every scan that brings none.
	Weight func() int
	// AutoBatch opens a batch at the counter on the first verified mark
	// when none is open, with that mark's contract (config batch.auto).
	AutoBatch bool
}

// Pipeline judges and records scans. It is safe for concurrent use by
// several sources.
type Pipeline struct {
	opt Options
	log *slog.Logger

	mu       sync.Mutex
	operator string
	subs     map[int]chan mark.Record
	nextSub  int
	storeErr error // last store failure, nil when the last write worked
}

// ErrorMessage is what the operator sees when a scan could not be recorded.
const ErrorMessage = store.ErrorMessage

// New returns a pipeline.
func New(o Options) *Pipeline {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return &Pipeline{opt: o, log: o.Log.With("subsystem", "pipeline"), subs: map[int]chan mark.Record{}}
}

// SetOperator names the person at the counter; every following record carries it.
func (p *Pipeline) SetOperator(name string) {
	p.mu.Lock()
	p.operator = name
	p.mu.Unlock()
}

// Operator returns the name set by SetOperator.
func (p *Pipeline) Operator() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.operator
}

// StoreErr returns the last store failure, or nil once a write worked again.
func (p *Pipeline) StoreErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.storeErr
}

// Process judges and records one scan and returns its record. A blank
// scan is ignored: the record then has no ID and verdict NOT_A_MARK and is
// neither stored nor published. On a store failure the verdict is ERROR
// with ErrorMessage and no ID. The write is not cancelled by ctx, so a
// scan in flight at shutdown is finished.
func (p *Pipeline) Process(ctx context.Context, sc mark.Scan) mark.Record {
	rec, _ := p.Submit(ctx, sc)
	return rec
}

// Submit is Process for a caller that answers for the scan itself (the
// JSON API): beside the record it returns the error that made the verdict
// ERROR — wrapping mark.ErrUnavailable when the store could not write,
// mark.ErrConflict when the scan named a batch that is not open.
func (p *Pipeline) Submit(ctx context.Context, sc mark.Scan) (mark.Record, error) {
	return p.submit(ctx, sc, nil)
}

// submit is Submit that hands the record to deliver (when set) as soon as
// its verdict is durable, before the metrics and the live subscribers.
//
// The signature is checked under the commit: the verifier defers its
// signature check (mark.Context.DeferSignature) and judges on as if it
// held, and the store runs the check beside the transaction and commits
// only if it holds (store.DB.SaveChecked: on Linux the check is awaited
// inside the WAL's fsync, which it normally outlasts). When the check
// fails nothing was stored and the scan is judged again without deferral,
// so its record is exactly the one a plain verification gives.
func (p *Pipeline) submit(ctx context.Context, sc mark.Scan, deliver func(mark.Record)) (mark.Record, error) {
	start := time.Now()
	if strings.TrimSpace(sc.Text) == "" {
		return mark.Record{Verdict: mark.NotAMark, Source: sc.Source, Reasons: []mark.Reason{}}, nil
	}
	wctx := context.WithoutCancel(ctx)
	j, rec, done := p.prepare(sc)
	var check func() bool
	if !done {
		j.ctx.DeferSignature = &check
		rec = p.judged(&j, p.opt.Verifier.Verify(j.sc.Text, j.ctx))
		j.ctx.DeferSignature = nil
		if check != nil && p.opt.AutoBatch && rec.Mark != nil && rec.Batch == "" {
			// autoBatch would open a batch for this mark, outside the
			// scan's transaction: only for a signature that holds.
			if !check() {
				rec = p.judged(&j, p.opt.Verifier.Verify(j.sc.Text, j.ctx))
			}
			check = nil
		}
	}
	err := p.autoBatch(wctx, &rec)
	switch {
	case err != nil:
	case check != nil:
		err = p.opt.Store.SaveChecked(wctx, &rec, p.opt.RescanWindow, check)
		if errors.Is(err, store.ErrSignatureRefused) {
			rec = p.judged(&j, p.opt.Verifier.Verify(j.sc.Text, j.ctx))
			err = p.opt.Store.Save(wctx, &rec, p.opt.RescanWindow)
		}
	default:
		err = p.opt.Store.Save(wctx, &rec, p.opt.RescanWindow)
	}
	p.noteStore(err, 1, sc.Source)
	if err != nil {
		p.failed(&rec, err)
	}
	took := time.Since(start)
	if deliver != nil && (rec.ID != "" || rec.Verdict != mark.NotAMark) {
		deliver(rec)
	}
	if p.opt.Observe != nil {
		p.opt.Observe(rec, took, err)
	}
	p.publish(rec)
	return rec, err
}

// Judge verifies a scan and returns its record before reuse and storage
// (bulk import judges in parallel, then stores in batches).
func (p *Pipeline) Judge(sc mark.Scan) mark.Record {
	j, rec, done := p.prepare(sc)
	if done {
		return rec
	}
	return p.judged(&j, p.opt.Verifier.Verify(j.sc.Text, j.ctx))
}

// judging is a scan ready for the verifier.
type judging struct {
	sc      mark.Scan
	at      time.Time
	counter string
	ctx     mark.Context
}

// prepare completes a scan for judging (time, weight, counter); done is
// set, with its record, for a line too long to be a mark.
func (p *Pipeline) prepare(sc mark.Scan) (judging, mark.Record, bool) {
	at := sc.At
	if at.IsZero() {
		at = p.opt.Now()
	}
	if sc.MeasuredWeightG == 0 && p.opt.Weight != nil {
		sc.MeasuredWeightG = p.opt.Weight()
	}
	counter := sc.Counter
	if counter == "" {
		counter = p.opt.Counter
	}
	if len(sc.Text) > mark.MaxInputSize || sc.Length > len(sc.Text) ||
		!utf8.ValidString(sc.Text) && len(validText(sc.Text)) > mark.MaxInputSize {
		return judging{}, p.tooLong(sc, at, counter), true
	}
	return judging{sc: sc, at: at, counter: counter, ctx: mark.Context{
		Office: p.opt.Office, Date: mark.DayOf(at.In(p.opt.Location)), MeasuredWeightG: sc.MeasuredWeightG,
	}}, mark.Record{}, false
}

// judged is the record of a prepared scan and its verifier's result.
func (p *Pipeline) judged(j *judging, res mark.Result) mark.Record {
	sc := &j.sc
	rec := mark.Record{
		At: j.at, Office: p.opt.Office, Counter: j.counter, Operator: p.Operator(), Source: sc.Source,
		Text: sc.Text, Verdict: res.Verdict, Reasons: res.Reasons, Mark: res.Mark,
		MeasuredWeightG: sc.MeasuredWeightG, Versions: p.versions(res), Frame: sc.Frame, Batch: sc.Batch,
		Request: sc.Request,
	}
	if rec.Verdict == mark.Error {
		rec.Message = "the lists in force cannot judge this mark now (missing or out of date): " + ErrorMessage
		if res.Message != "" {
			rec.Message = res.Message
		}
	}
	return rec
}

// versions names the lists that gave res: those the verifier put in it
// (verify.Holder: a reload may have swapped the lists since), else the
// verifier's (its lists do not change).
func (p *Pipeline) versions(res mark.Result) mark.Versions {
	if res.Versions != (mark.Versions{}) {
		return res.Versions
	}
	return p.opt.Verifier.Versions()
}

// tooLong is the record of a line longer than any mark (over 4096 bytes),
// or one its source already cut (Scan.Length): stored with its first
// MaxInputSize bytes at most (cut at a UTF-8 boundary) and its real
// length, so it is kept and uploads like any other record instead of being
// refused by the collector. Its verdict is NOT_A_MARK, or, when it starts
// like a mark (EPM1: after the §1 tolerances), REJECT with MALFORMED: a
// wrong length (MARK-FORMAT §7 step 2, as markd verify judges it). The
// guards of the verifier chain still apply (ERROR while the lists or the
// reuse history cannot judge).
func (p *Pipeline) tooLong(sc mark.Scan, at time.Time, counter string) mark.Record {
	cut := validText(sc.Text)
	if len(cut) > mark.MaxInputSize {
		n := mark.MaxInputSize
		for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(cut[n]); i++ {
			n-- // do not split a character
		}
		cut = cut[:n]
	}
	length := max(sc.Length, len(sc.Text))
	msg := fmt.Sprintf("line of %d bytes, longer than any mark: stored cut to its first %d", length, len(cut))
	if !utf8.ValidString(sc.Text) {
		msg = fmt.Sprintf("line of %d bytes, not UTF-8 (%d bytes as text), longer than any mark: stored cut to its first %d",
			length, len(validText(sc.Text)), len(cut))
	}
	rec := mark.Record{
		At: at, Office: p.opt.Office, Counter: counter, Operator: p.Operator(), Source: sc.Source,
		Text: cut, Verdict: mark.NotAMark, Reasons: []mark.Reason{}, MeasuredWeightG: sc.MeasuredWeightG,
		Frame: sc.Frame, Batch: sc.Batch, Request: sc.Request, Message: msg,
	}
	// The start of the line decides NOT_A_MARK or MALFORMED; no field of a
	// cut text is trusted (not even when its first bytes are a whole mark:
	// the line scanned was not that mark).
	res := p.opt.Verifier.Verify(cut, mark.Context{
		Office: p.opt.Office, Date: mark.DayOf(at.In(p.opt.Location)), MeasuredWeightG: sc.MeasuredWeightG,
	})
	rec.Versions = p.versions(res)
	switch res.Verdict {
	case mark.NotAMark:
	case mark.Error:
		rec.Verdict, rec.Message = mark.Error, res.Message
		if rec.Message == "" {
			rec.Message = "the lists in force cannot judge this mark now (missing or out of date): " + ErrorMessage
		}
	default:
		rec.Verdict, rec.Reasons = mark.Reject, []mark.Reason{mark.ReasonMalformed}
	}
	return rec
}

// validText is s with each byte that is not UTF-8 replaced by U+FFFD, as
// the JSON of the upload will have it: a line of serial noise (a wrong baud
// rate) is cut to what the collector will count, not to its raw bytes.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for a byte that is not UTF-8
		i += size
	}
	return b.String()
}

// autoBatch opens a batch for a verified mark at a counter without one,
// when Options.AutoBatch is on. The scan then joins it in its own
// transaction, which also judges OTHER_CONTRACT.
func (p *Pipeline) autoBatch(ctx context.Context, rec *mark.Record) error {
	if !p.opt.AutoBatch || rec.Mark == nil || rec.Batch != "" {
		return nil
	}
	_, err := p.opt.Store.CurrentBatch(ctx, rec.Counter)
	if !errors.Is(err, mark.ErrNotFound) {
		return err
	}
	b, err := p.opt.Store.OpenBatch(ctx, mark.Batch{Office: rec.Office, Counter: rec.Counter, Operator: rec.Operator,
		Contract: rec.Mark.Contract, Auto: true})
	if errors.Is(err, mark.ErrConflict) {
		return nil // opened meanwhile by another source: join that one
	}
	if err == nil {
		p.log.Info("batch opened by the first mark", "batch", b.ID, "counter", b.Counter, "contract", b.Contract)
	}
	return err
}

// Subscribe returns a channel of every record decided from now on and a
// function that ends the subscription. Publishing never blocks: a
// subscriber that does not keep up misses records.
func (p *Pipeline) Subscribe() (<-chan mark.Record, func()) {
	ch := make(chan mark.Record, 64)
	p.mu.Lock()
	id := p.nextSub
	p.nextSub++
	p.subs[id] = ch
	p.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			p.mu.Lock()
			delete(p.subs, id)
			p.mu.Unlock()
			close(ch)
		})
	}
}

func (p *Pipeline) publish(rec mark.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ch := range p.subs {
		select {
		case ch <- rec:
		default: // slow subscriber: drop rather than hold the counter up
		}
	}
}

// Run serves every source until ctx ends, processing each scan as it is
// emitted and sending the verdict back to sources that can signal it.
// onRecord, when set, is called with each record in the order of one
// source. Run returns when all sources have returned; a source that fails
// is logged and not restarted (the daemon runs each source with
// ServeSource under its supervisor instead).
func (p *Pipeline) Run(ctx context.Context, sources []mark.Source, onRecord func(mark.Record)) {
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.ServeSource(ctx, src, onRecord); err != nil {
				p.log.Error("source stopped", "source", src.Name(), "err", err)
			}
		}()
	}
	wg.Wait()
}

// YieldEvery is how often a source's goroutine passes through Go's
// scheduler (yielder): well under sysmon's 10 ms.
const YieldEvery = 5 * time.Millisecond

// yielder makes a source's goroutine pass through Go's scheduler at least
// once every `every`. The goroutine blocks only in system calls (reads, the
// commit) and never parks, so sysmon saw one goroutine running for over
// 10 ms and took its P back at every system call, then polled every 20 µs
// (0.8 P hand-offs and 2.5 sysmon wake-ups a scan in P1,
// docs/notes/perf.md, eighth stop). A yield at every scan cost a wake-up
// of an idle thread each (runtime.Gosched wakes one to look for work).
type yielder struct {
	every time.Duration
	now   func() time.Time // monotonic time; not the scans' clock
	last  time.Time
}

// yield yields when the last yield is `every` ago or more.
func (y *yielder) yield() bool {
	t := y.now()
	if !y.last.IsZero() && t.Sub(y.last) < y.every {
		return false
	}
	y.last = t
	runtime.Gosched()
	return true
}

// ServeSource serves one source until ctx ends or the source returns,
// processing each scan as it is emitted, sending the verdict back when the
// source can signal it (mark.Feedbacker) and then to onRecord (may be
// nil). It returns the source's error, nil once ctx ended.
func (p *Pipeline) ServeSource(ctx context.Context, src mark.Source, onRecord func(mark.Record)) error {
	fb, _ := src.(mark.Feedbacker)
	// The verdict goes back before the metrics and the live subscribers:
	// the operator waits for it, they do not.
	deliver := func(rec mark.Record) {
		if fb != nil {
			fb.Feedback(rec.Verdict)
		}
		if onRecord != nil {
			onRecord(rec)
		}
	}
	y := yielder{every: YieldEvery, now: time.Now}
	err := src.Serve(ctx, func(sc mark.Scan) {
		if sc.Source == "" {
			sc.Source = src.Name()
		}
		_, _ = p.submit(ctx, sc, deliver)
		y.yield()
	})
	if err != nil && ctx.Err() == nil {
		return err
	}
	p.log.Info("source ended", "source", src.Name())
	return nil
}
