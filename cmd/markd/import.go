package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/verify"
)

func init() { register(newImportCmd) }

// importBatch is how many scans share one transaction (group commit).
const importBatch = 2000

// importGCPercent is the garbage collector's pace during an import (Go's
// default is 100): ~25 MiB more peak memory for 40 000 marks.
const importGCPercent = 400

// importHeap is the Go heap an import readies in huge pages
// (growHeapHuge): its peak at GOGC 400 was ~77 MiB for 40 000 marks and
// does not grow with the file (importAhead batches in flight).
const importHeap = 96 << 20

// importHugeMin is the smallest file for which growHeapHuge runs (a
// collection, ~1 ms): ~6 000 marks; an import from stdin always does.
const importHugeMin = 1 << 20

// importMinBatch is the smallest batch batchSize makes: two chunks of
// pipeline's Ed25519 batches, one for each core.
const importMinBatch = 500

// batchSize is the number of scans of the next batch: importBatch, and
// near the end of a file of known size a quarter of the lines left (at
// least importMinBatch). The store writes the batches one after the
// other on one core while the next ones are judged on every core; once
// the last one is judged, what still waits for the store is written with
// the other core idle, so the last batches are made smaller. The first
// batch is importMinBatch: the writer, import's critical path, starts
// once it is judged (perfbench's import share 0.73 -> 0.76 and 0.75,
// docs/notes/perf.md).
func batchSize(size, read int64, lines int) int {
	if read == 0 && lines == 0 {
		return importMinBatch
	}
	if size <= 0 || read <= 0 || read >= size {
		return importBatch
	}
	left := (size - read) * int64(lines) / read
	return int(min(importBatch, max(importMinBatch, left/4)))
}

// importLine is the JSON form of one input line of markd import.
type importLine struct {
	Text            string    `json:"text"`
	At              time.Time `json:"at"`
	Counter         string    `json:"counter"`
	Source          string    `json:"source"`
	MeasuredWeightG int       `json:"measured_weight_g"`
}

// parseImportLine reads one line of an import file: a JSON object
// (importLine) or the bare text of a scan. Blank lines give ok=false.
func parseImportLine(line string) (mark.Scan, bool, error) {
	t := strings.TrimSpace(line)
	if t == "" {
		return mark.Scan{}, false, nil
	}
	if !strings.HasPrefix(t, "{") {
		return mark.Scan{Text: strings.TrimRight(line, "\r")}, true, nil
	}
	var l importLine
	dec := json.NewDecoder(strings.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return mark.Scan{}, false, fmt.Errorf("not a JSON scan object: %w: %v", mark.ErrInvalid, err)
	}
	if len(l.Text) > mark.MaxInputSize*16 || l.MeasuredWeightG < 0 {
		return mark.Scan{}, false, fmt.Errorf("text too long or negative weight: %w", mark.ErrInvalid)
	}
	return mark.Scan{Text: l.Text, At: l.At, Counter: l.Counter, Source: l.Source, MeasuredWeightG: l.MeasuredWeightG}, true, nil
}

// newImportCmd is markd import: bulk recording of scans from a file.
func newImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Record many scans from a file (bulk mode, group commit)",
		Long: `Import judges and records every line of FILE ("-" = stdin) like markd run
would, with the same reuse rules, but commits many scans per transaction.
A line is the text of a scan or a JSON object
  {"text":"EPM1:…","at":"RFC 3339","counter":"A","source":"…","measured_weight_g":0}
(missing at: now; missing counter: config counter). A blank line is no scan:
not stored, and counted under NOT_A_MARK as markd verify answers it. A
progress bar goes to
stderr when it is a terminal; a summary by verdict at the end.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage("%s needs exactly one FILE", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.runImport(cmd, args[0]) },
	}
	fl := cmd.Flags()
	fl.String("db", "", "SQLite store file (config key db)")
	fl.String("counter", "", "counter of lines that name none (config key counter)")
	fl.Uint32("office", 0, "postal index of this office (config key office)")
	return cmd
}

func (a *app) runImport(cmd *cobra.Command, file string) error {
	c, err := a.loadConfig(cmd)
	if err != nil {
		return err
	}
	if c.Office == 0 {
		return usage("config office is required: the postal index of this office")
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{err}
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		return usageError{err}
	}
	var in io.Reader = a.stdin
	var size int64
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return usage("import: %v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	if size == 0 || size >= importHugeMin {
		growHeapHuge(importHeap)
	}
	log := newLogger(c.Log, a.stderr)
	ctx := cmd.Context()
	opt := pipeline.Options{Verifier: v, Office: c.Office, Counter: c.Counter,
		Location: loc, RescanWindow: c.RescanWindow, Log: log, Now: verifyNow}
	if os.Getenv("GOGC") == "" {
		// An import allocates ~5 KiB a mark (records, rows, Ed25519
		// batches) and keeps only the batches in flight: at Go's default
		// pace the collector took ~10 % of its CPU (docs/notes/perf.md).
		defer debug.SetGCPercent(debug.SetGCPercent(importGCPercent))
	}
	// The store is opened while the first batches are read and judged
	// (judging does not touch the store): the one writer, import's
	// critical path, starts as soon as both are done.
	var (
		db      *store.DB
		from    int64
		openErr error
	)
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	open := func() (*pipeline.Pipeline, error) {
		if db, openErr = store.OpenExisting(ctx, c.DB, log); openErr != nil {
			return nil, openErr
		}
		if openErr = restoreHistory(ctx, c, db, log, a.stderr); openErr != nil {
			return nil, openErr
		}
		o := opt
		o.Store = db
		pipe := pipeline.New(o)
		// Import checks every signature before its commits, so the
		// daemon's recheck at its next start (pipeline.RecheckSignatures)
		// need not check its rows again: close a daemon's crash window
		// first, then move the watermark over the rows stored here (only
		// if no other process stored any beside them).
		if _, _, openErr = pipe.RecheckSignatures(ctx); openErr != nil {
			return nil, openErr
		}
		if from, _, openErr = db.CheckWatermark(ctx); openErr != nil {
			return nil, openErr
		}
		return pipe, nil
	}
	bar := newProgress(a.stderr, size)
	start := time.Now()
	blank := 0
	counts, n, err := importScans(ctx, pipeline.New(opt), open, in, size, &blank, bar.update)
	bar.done()
	if openErr != nil {
		return openErr
	}
	if err == nil {
		if moved, werr := db.AdvanceCheckWatermark(ctx, from, int64(n)); werr != nil {
			return werr
		} else if !moved {
			log.Info("another process stored scans beside the import: the daemon checks their signatures again at its next start")
		}
	}
	d := time.Since(start)
	fmt.Fprintf(a.stdout, "imported %d scans in %.2fs (%.0f scans/s)\n", n, d.Seconds(), float64(n)/max(d.Seconds(), 1e-9))
	verdicts := make([]string, 0, len(counts))
	for v := range counts {
		verdicts = append(verdicts, string(v))
	}
	sort.Strings(verdicts)
	if blank > 0 { // judged NOT_A_MARK like in markd verify, but no scan to store
		if counts[mark.NotAMark] == 0 {
			verdicts = append(verdicts, string(mark.NotAMark))
			sort.Strings(verdicts)
		}
		counts[mark.NotAMark] += blank
	}
	for _, v := range verdicts {
		fmt.Fprintf(a.stdout, "  %-15s %d", v, counts[mark.Verdict(v)])
		if mark.Verdict(v) == mark.NotAMark && blank > 0 {
			fmt.Fprintf(a.stdout, " (%d of them blank lines, not stored)", blank)
		}
		fmt.Fprintln(a.stdout)
	}
	return err
}

// importAhead is how many batches may be read and not yet stored: the one
// being stored and the next ones being judged.
const importAhead = 3

// importBatchJob is a batch read from the file, judged a chunk at a time.
type importBatchJob struct {
	judging *pipeline.Judging
	read    int64 // bytes read up to its end
	blank   int   // blank lines so far
	err     error // reading stopped after it
}

// importScans reads scans from in, judges them with judge and stores each
// batch in one transaction, through the pipeline's batch path
// (Pipeline.StartJudge and StoreBatch: live feed, metrics, store state as
// for single scans), and returns the verdict counts of what was stored.
// The pipeline that stores is open's: it runs while the first batches are
// read and judged, and nothing is stored before it returned; its error
// ends the import.
//
// One worker per core does all the work: it stores the oldest batch when
// that one is judged and no other worker is storing (the store writes one
// transaction at a time, in file order), else judges a chunk of the
// oldest batch that has one left, else waits. So the commit of a batch
// overlaps the judging of the next ones on the other cores, and no core
// waits while there is work. Before, a judging goroutine per core and the
// writer were more goroutines than the runtime has processors: the writer,
// runnable again after each SQLite call, waited for a processor (Go's
// execution trace, load ~4: 0.41 s of a 1.7 s import); with this loop
// 0.18 s of 1.9 s, most of it behind the garbage collector.
func importScans(ctx context.Context, judge *pipeline.Pipeline, open func() (*pipeline.Pipeline, error),
	in io.Reader, size int64, blank *int, progress func(bytes int64, scans int)) (map[mark.Verdict]int, int, error) {
	var (
		pipe       *pipeline.Pipeline // open's, once it returned
		mu         sync.Mutex
		cond       = sync.NewCond(&mu)
		queue      []*importBatchJob // read and not yet stored, in file order
		readerDone bool
		storing    bool
		stop       error // a store failure or the error a batch ended with
		counts     = map[mark.Verdict]int{}
		total      int
	)
	go func() {
		br := bufio.NewReaderSize(in, 256<<10)
		var read int64
		lineNo, blanks := 0, 0
		for {
			scans, eof, err := readImportBatch(br, batchSize(size, read, lineNo), &lineNo, &blanks, &read)
			job := &importBatchJob{judging: judge.StartJudge(scans), read: read, blank: blanks, err: err}
			mu.Lock()
			for len(queue) >= importAhead && stop == nil && ctx.Err() == nil {
				cond.Wait()
			}
			if stop != nil || ctx.Err() != nil {
				readerDone = true
				cond.Broadcast()
				mu.Unlock()
				return
			}
			queue = append(queue, job)
			readerDone = eof || err != nil
			cond.Broadcast()
			mu.Unlock()
			if readerDone {
				return
			}
		}
	}()
	// A cancelled import stops reading (above) and stores what it read.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-wctx.Done()
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	}()
	work := func() {
		mu.Lock()
		defer mu.Unlock()
		for stop == nil && !((readerDone || ctx.Err() != nil) && len(queue) == 0) {
			if job := queue; pipe != nil && !storing && len(job) > 0 && job[0].judging.Done() {
				storing = true
				mu.Unlock()
				recs, err := storeImportBatch(ctx, pipe, job[0].judging)
				mu.Lock()
				storing = false
				queue = queue[1:]
				*blank = job[0].blank
				if err != nil {
					stop = fmt.Errorf("after %d scans: %w", total, err)
				} else {
					for _, r := range recs {
						counts[r.Verdict]++
					}
					if total += len(recs); len(recs) > 0 {
						progress(job[0].read, total)
					}
					stop = job[0].err
				}
				cond.Broadcast()
				continue
			}
			var next *pipeline.Judging
			for _, job := range queue {
				if job.judging.Pending() {
					next = job.judging
					break
				}
			}
			if next == nil {
				cond.Wait()
				continue
			}
			mu.Unlock()
			next.Step()
			done := next.Done()
			mu.Lock()
			if done {
				cond.Broadcast() // a worker may store it
			}
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(work)
	}
	p, err := open()
	mu.Lock()
	if pipe = p; err != nil && stop == nil {
		stop = err
	}
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
	if stop != nil {
		return counts, total, stop
	}
	return counts, total, ctx.Err()
}

// storeImportBatch stores a judged batch (none for an empty one) and
// returns its records.
func storeImportBatch(ctx context.Context, pipe *pipeline.Pipeline, j *pipeline.Judging) ([]mark.Record, error) {
	if j.Judged().Len() == 0 {
		return nil, nil
	}
	return pipe.StoreBatch(ctx, j.Judged())
}

// readImportBatch reads up to n scans.
// A blank line is no scan (nothing to store), as in markd run and markd
// verify --db; it is counted in *blank, and the summary reports it under
// NOT_A_MARK, the verdict markd verify prints for it (spec §7 step 1).
func readImportBatch(br *bufio.Reader, n int, lineNo, blank *int, read *int64) ([]mark.Scan, bool, error) {
	scans := make([]mark.Scan, 0, n)
	for len(scans) < n {
		line, length, err := readLine(br, mark.MaxInputSize*16)
		if errors.Is(err, io.EOF) {
			return scans, true, nil
		}
		if err != nil {
			return scans, false, fmt.Errorf("read line %d: %w", *lineNo+1, err)
		}
		*lineNo++
		*read += int64(length) + 1
		sc, ok, err := parseImportLine(line)
		if ok && length > len(line) && sc.Text == strings.TrimRight(line, "\r") {
			sc.Length = length // a bare text over 64 KiB: its start and real length
		}
		if err != nil {
			return scans, false, usage("line %d: %v", *lineNo, err)
		}
		if !ok {
			*blank++
		} else {
			if sc.Source == "" {
				sc.Source = "import"
			}
			scans = append(scans, sc)
		}
	}
	return scans, false, nil
}

// progress draws a bar on a terminal; elsewhere it is silent.
type progress struct {
	w    io.Writer
	size int64
	on   bool
	last time.Time
}

func newProgress(w io.Writer, size int64) *progress {
	p := &progress{w: w, size: size}
	if f, ok := w.(*os.File); ok {
		p.on = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) update(read int64, scans int) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	if p.size <= 0 {
		fmt.Fprintf(p.w, "\r%d scans", scans)
		return
	}
	frac := min(float64(read)/float64(p.size), 1)
	const width = 40
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d scans", strings.Repeat("#", fill), strings.Repeat(" ", width-fill), frac*100, scans)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
