// Package importer records a file of scans (markd import): one scan a
// line, its bare text or a JSON object (Line), judged on every core and
// stored through the pipeline's batch path, one transaction a batch, in
// file order. A line that is not a scan stops the import there
// (LineError); every scan before it is stored.
package importer

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"markd/decode"
	"markd/internal/jsonkey"
	"markd/internal/textline"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
)

// Batch is how many scans share one transaction (group commit).
const Batch = 2000

// MinBatch is the smallest batch BatchSize makes: two chunks of
// pipeline's Ed25519 batches, one for each core.
const MinBatch = 500

// ahead is how many batches may be read and not yet stored: the one
// being stored and the next ones being judged.
const ahead = 3

// maxLine is the most of a line kept: a bare text longer than that is
// stored cut, with its real length (NOT_A_MARK), as markd run does.
const maxLine = mark.MaxInputSize * 16

// BatchSize is the number of scans of the next batch: Batch, and near the
// end of a file of known size (bytes; 0 unknown) a quarter of the lines
// left (at least MinBatch), from the bytes and lines read so far. The
// store writes the batches one after the other on one core while the next
// ones are judged on every core; once the last one is judged, what still
// waits for the store is written with the other core idle, so the last
// batches are made smaller. The first batch is MinBatch: the writer,
// import's critical path, starts once it is judged (perfbench's import
// share 0.73 -> 0.76 and 0.75, docs/notes/perf.md).
func BatchSize(size, read int64, lines int) int {
	if read == 0 && lines == 0 {
		return MinBatch
	}
	if size <= 0 || read <= 0 || read >= size {
		return Batch
	}
	left := (size - read) * int64(lines) / read
	return int(min(Batch, max(MinBatch, left/4)))
}

// maxWeightG is the most grams a line may give as measured: what a
// scale reads (scanner's) and markd verify --weight takes. More was
// stored, and the collector refuses over 2^31-1 grams (set aside).
const maxWeightG = 1_000_000

// Line is the JSON form of one input line.
type Line struct {
	Text            string    `json:"text"`
	At              time.Time `json:"at"`
	Counter         string    `json:"counter"`
	Source          string    `json:"source"`
	MeasuredWeightG int       `json:"measured_weight_g"`
}

// ParseLine reads one line of an import file: a JSON object (Line) or the
// bare text of a scan. A text over mark.MaxInputSize bytes whose text
// without surrounding white space fits is that text (decode.Fit,
// MARK-FORMAT §1). Blank lines, and objects whose text is blank, give
// ok=false. An object with an unknown key, a key in another case than its
// field's (jsonkey.Exact), or a key given twice in any letter case
// (jsonkey.Twice), is refused, as the daemon's API refuses them. An error
// wraps mark.ErrInvalid.
func ParseLine(line string) (mark.Scan, bool, error) {
	t := strings.TrimSpace(line)
	if t == "" {
		return mark.Scan{}, false, nil
	}
	if !strings.HasPrefix(t, "{") {
		return mark.Scan{Text: decode.Fit(strings.TrimRight(line, "\r"))}, true, nil
	}
	var l Line
	dec := json.NewDecoder(strings.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return mark.Scan{}, false, fmt.Errorf("not a JSON scan object: %w: %v", mark.ErrInvalid, err)
	}
	// Anything after the object (a second object where a newline was
	// lost) would be dropped without a word.
	if rest := strings.TrimSpace(t[dec.InputOffset():]); rest != "" {
		return mark.Scan{}, false, fmt.Errorf("not a JSON scan object: %w: %q after the object; one scan a line",
			mark.ErrInvalid, rest[:min(len(rest), 40)])
	}
	// encoding/json keeps the last of a key given twice (text and TEXT
	// are one key to it): refused, as the daemon's API refuses it.
	if key := jsonkey.Twice([]byte(t)); key != "" {
		return mark.Scan{}, false, fmt.Errorf("key %q given twice: give each field once: %w", key, mark.ErrInvalid)
	}
	// encoding/json fills text from "Text" too, DisallowUnknownFields
	// letting it by: a key must be spelt as the field is (the local API's
	// check, one function).
	if ke := jsonkey.Exact([]byte(t), &l, jsonkey.Strict); ke != nil {
		return mark.Scan{}, false, fmt.Errorf("%s: the keys are text, at, counter, source, measured_weight_g, in lower case: %w",
			ke.Why(), mark.ErrInvalid)
	}
	if len(l.Text) > maxLine {
		return mark.Scan{}, false, fmt.Errorf("text of %d bytes, more than %d: %w", len(l.Text), maxLine, mark.ErrInvalid)
	}
	if l.Counter != "" && strings.TrimSpace(l.Counter) == "" { // "" is the config's counter; blanks name none
		return mark.Scan{}, false, fmt.Errorf("counter %q: must not be blank (leave it out for the config's counter): %w", l.Counter, mark.ErrInvalid)
	}
	// The counter and source are stored with the scan and uploaded: one
	// the config would refuse as counter, or the collector refuses (400
	// naming the field), would be set aside there, never uploaded.
	if why := mark.CounterWhy(l.Counter); l.Counter != "" && why != "" {
		return mark.Scan{}, false, fmt.Errorf("counter %q: %s: %w", l.Counter, why, mark.ErrInvalid)
	}
	if len(l.Source) > mark.MaxNameLen {
		return mark.Scan{}, false, fmt.Errorf("source of %d bytes: at most %d (the collector refuses a longer one): %w",
			len(l.Source), mark.MaxNameLen, mark.ErrInvalid)
	}
	if l.MeasuredWeightG < 0 {
		return mark.Scan{}, false, fmt.Errorf("measured_weight_g %d: must not be negative: %w", l.MeasuredWeightG, mark.ErrInvalid)
	}
	if l.MeasuredWeightG > maxWeightG {
		return mark.Scan{}, false, fmt.Errorf("measured_weight_g %d: more than %d grams (no scale weighs that): %w",
			l.MeasuredWeightG, maxWeightG, mark.ErrInvalid)
	}
	if strings.TrimSpace(l.Text) == "" { // no scan, as a blank line: the pipeline would not store it
		return mark.Scan{}, false, nil
	}
	return mark.Scan{Text: decode.Fit(l.Text), At: l.At, Counter: l.Counter, Source: l.Source, MeasuredWeightG: l.MeasuredWeightG}, true, nil
}

// AtAhead is how far after this PC's clock a line's time (`at`) may be:
// the collector's tolerance (hub.DefaultPlausibility). A record stamped
// later waits at the counter, and every record after it with it, until
// the collector's clock passes it.
const AtAhead = 10 * time.Minute

// earliestAt is before any mark of EPM v1 could be scanned: the collector
// refuses a record stamped before it.
var earliestAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// AtError is a scan's time the collector would refuse or hold back.
type AtError struct {
	At    time.Time
	Why   string // what is wrong with it
	Ahead bool   // after the clock (not before 2020)
}

func (e *AtError) Error() string {
	return fmt.Sprintf("at %s: %s: %v", e.At.Format(time.RFC3339Nano), e.Why, mark.ErrInvalid)
}
func (e *AtError) Unwrap() error { return mark.ErrInvalid }

// CheckAt refuses (*AtError) a scan's time the collector would refuse or
// hold back (a zero at is none: the scan gets the time of the import).
// markd verify --db holds its --at to it too.
func CheckAt(at, now time.Time) error {
	switch {
	case at.IsZero():
		return nil
	case at.Before(earliestAt):
		return &AtError{At: at, Why: "before 2020, before any EPM v1 mark could be scanned (the collector refuses it)"}
	case at.After(now.Add(AtAhead)):
		return &AtError{At: at, Ahead: true, Why: fmt.Sprintf("%s after this PC's clock (%s; at most %s): the collector would hold this scan "+
			"and every later one of this counter back until then (--at-ahead takes it when this PC's clock is behind)", at.Sub(now).Round(time.Second), now.Format(time.RFC3339), AtAhead)}
	}
	return nil
}

// IssueError is a scan stamped before its mark could have been scanned:
// earlier than the day before the mark's issue day in UTC+14
// (mark.IssueFloor), where days begin first. The collector refuses the
// record of such a mark as "the counter's clock is wrong" (hub's
// checkAt): it would be set aside there, never counted.
type IssueError struct {
	At     time.Time
	Issued mark.Day
}

func (e *IssueError) Error() string {
	return fmt.Sprintf("at %s: before %s, the first instant of the day before its mark's issue day (%s) in UTC+14, "+
		"where days begin first: no clock scanned it then, and the collector would refuse it as a wrong clock "+
		"(correct its at, or leave at out for the time of the import): %v",
		e.At.Format(time.RFC3339Nano), mark.IssueFloor(e.Issued).UTC().Format(time.RFC3339), e.Issued, mark.ErrInvalid)
}
func (e *IssueError) Unwrap() error { return mark.ErrInvalid }

// checkIssue refuses (*IssueError) a scan whose own time (at) is before
// its mark's issue floor (mark.BeforeIssue), when the mark verifies: the
// counter uploads the fields of a verified mark only, and the collector
// holds a record to its mark's issue day only then. The mark's issue day
// is read from the text without its signature; only a line stamped too
// early is judged (judge) to know whether its signature holds, so the
// lines of a good file cost one decoding each (bare texts, and lines
// without at, none: they get the time of the import).
func checkIssue(sc mark.Scan, judge func(mark.Scan) mark.Record) error {
	if sc.At.IsZero() {
		return nil
	}
	body, _, err := decode.Text(sc.Text)
	if err != nil || body[0] != 1 {
		return nil
	}
	m, err := decode.Body(body[:])
	if err != nil || !mark.BeforeIssue(sc.At, m.Issued) {
		return nil
	}
	if rec := judge(sc); rec.Mark == nil || !mark.BeforeIssue(sc.At, rec.Mark.Issued) {
		return nil // a forged or unknown mark: the collector takes its record with no fields
	}
	return &IssueError{At: sc.At, Issued: m.Issued}
}

// LineError is a line of the file that is not a scan (numbered from 1).
type LineError struct {
	File string // Options.Name
	Line int
	Err  error // wraps mark.ErrInvalid
}

func (e *LineError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}
func (e *LineError) Unwrap() error { return e.Err }

// Options are what Run needs beside the file.
type Options struct {
	// Judge judges the scans (a pipeline without a store will do).
	Judge *pipeline.Pipeline
	// Open returns the pipeline that stores. It runs while the first
	// batches are read and judged, and nothing is stored before it
	// returned; its error ends the import.
	Open func() (*pipeline.Pipeline, error)
	// Name names the file in errors ("" for none).
	Name string
	// Size is the file's size in bytes, 0 when unknown (stdin).
	Size int64
	// Now is the clock a line's time is held to (CheckAt); nil: time.Now.
	Now func() time.Time
	// AtAhead takes a line's time after Now (a PC whose clock is known to
	// be behind); a time before 2020 is refused still.
	AtAhead bool
	// Progress, when set, is told the bytes read and the scans stored
	// after each stored batch.
	Progress func(bytes int64, scans int)
	// Mark, when set, is how far the file had come before (its Lines and
	// Bytes: in is read on from there, line Lines+1; zero for a new
	// import) and is recorded, moved on, in the transaction of each
	// stored batch (store.SaveImportBatch), so that a later run of the
	// same file goes on after the last committed line (Continues). Its ID
	// and Name are the caller's. File must then be set.
	Mark *store.ImportMark
	// File reads the file of in at offsets: the bytes of the lines done
	// are hashed for Mark.
	File io.ReaderAt
}

// Result is what an import stored.
type Result struct {
	Counts map[mark.Verdict]int // the stored scans by verdict
	Stored int                  // scans stored
	Blank  int                  // blank lines (no scan, nothing stored) in what was read
}

// job is a batch read from the file, judged a chunk at a time.
type job struct {
	judging *pipeline.Judging
	read    int64             // bytes read up to its end
	blank   int               // blank lines so far
	err     error             // reading stopped after it
	mark    *store.ImportMark // the file's lines done with it, or nil
}

// Run reads scans from in, judges them and stores each batch in one
// transaction, through the pipeline's batch path (Pipeline.StartJudge and
// StoreBatch: live feed, metrics, store state as for single scans), and
// returns what it stored, also when it fails: a LineError or a read error
// after the scans before it were stored, the store's error, or ctx's
// (a cancelled import stops reading and stores what it read).
//
// One worker per core does all the work: it stores the oldest batch when that
// one is judged and no other worker is storing (the store writes one
// transaction at a time, in file order), else judges a chunk of the
// oldest batch that has one left, else waits. So the commit of a batch
// overlaps the judging of the next ones on the other cores, and no core
// waits while there is work. Before, a judging goroutine per core and the
// writer were more goroutines than the runtime has processors: the writer,
// runnable again after each SQLite call, waited for a processor (Go's
// execution trace, load ~4: 0.41 s of a 1.7 s import); with this loop
// 0.18 s of 1.9 s, most of it behind the garbage collector.
func Run(ctx context.Context, in io.Reader, o Options) (Result, error) {
	res := Result{Counts: map[mark.Verdict]int{}}
	if o.Mark != nil && o.File == nil {
		return res, fmt.Errorf("import %s: a mark to record and no file to hash: %w", o.Name, mark.ErrInvalid)
	}
	var (
		pipe       *pipeline.Pipeline // o.Open's, once it returned
		mu         sync.Mutex
		cond       = sync.NewCond(&mu)
		queue      []*job // read and not yet stored, in file order
		readerDone bool
		storing    bool
		stop       error // a store failure or the error a batch ended with
	)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	go func() {
		cr := &countReader{r: in}
		br := bufio.NewReaderSize(cr, 256<<10)
		var hasher *prefixHasher
		var start int64 // the byte of the file in starts at
		lineNo, blanks := 0, 0
		if o.Mark != nil {
			hasher, start, lineNo = newPrefixHasher(o.File), o.Mark.Bytes, o.Mark.Lines
		}
		read := start
		marked := lineNo      // the lines recorded so far
		var markedBytes int64 // and their bytes, as the store's row holds them
		if o.Mark != nil {
			markedBytes = o.Mark.Prior
		}
		// pos is the byte of the file the next line starts at.
		pos := func() int64 { return start + cr.n - int64(br.Buffered()) }
		for {
			scans, eof, done, err := readBatch(br, o.Name, BatchSize(o.Size, read, lineNo), &lineNo, &blanks, &read, pos, now, o.AtAhead, o.Judge.Judge)
			j := &job{judging: o.Judge.StartJudge(scans), read: read, blank: blanks, err: err}
			if hasher != nil && done.lines > marked {
				marked = done.lines
				m := *o.Mark
				m.Lines, m.Bytes = done.lines, done.bytes
				m.Prior, markedBytes = markedBytes, done.bytes // the write is refused if another import moved the row
				var herr error
				if m.Prefix, m.Head, m.HeadLen, herr = hasher.to(done.bytes); herr != nil {
					herr = fmt.Errorf("read %s: %w", cmp.Or(o.Name, "input"), herr)
					j.mark, j.err = nil, cmp.Or(j.err, herr)
				} else {
					j.mark = &m
				}
			}
			mu.Lock()
			for len(queue) >= ahead && stop == nil && ctx.Err() == nil {
				cond.Wait()
			}
			if stop != nil || ctx.Err() != nil {
				readerDone = true
				cond.Broadcast()
				mu.Unlock()
				return
			}
			queue = append(queue, j)
			readerDone = eof || j.err != nil
			cond.Broadcast()
			mu.Unlock()
			if readerDone {
				return
			}
		}
	}()
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
			if first := queue; pipe != nil && !storing && len(first) > 0 && first[0].judging.Done() {
				storing = true
				mu.Unlock()
				recs, err := storeBatch(ctx, pipe, first[0].judging, first[0].mark)
				mu.Lock()
				storing = false
				queue = queue[1:]
				res.Blank = first[0].blank
				if err != nil {
					stop = fmt.Errorf("after %d scans: %w", res.Stored, err)
				} else {
					for _, r := range recs {
						res.Counts[r.Verdict]++
					}
					if res.Stored += len(recs); len(recs) > 0 && o.Progress != nil {
						o.Progress(first[0].read, res.Stored)
					}
					stop = first[0].err
				}
				cond.Broadcast()
				continue
			}
			var next *pipeline.Judging
			for _, j := range queue {
				if j.judging.Pending() {
					next = j.judging
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
	for range runtime.GOMAXPROCS(0) { // one worker a processor
		wg.Go(work)
	}
	p, err := o.Open()
	mu.Lock()
	if pipe = p; err != nil && stop == nil {
		stop = err
	}
	cond.Broadcast()
	mu.Unlock()
	wg.Wait()
	if stop != nil {
		return res, stop
	}
	return res, ctx.Err()
}

// storeBatch stores a judged batch (none for an empty one) with m, when
// set, and returns its records.
func storeBatch(ctx context.Context, pipe *pipeline.Pipeline, j *pipeline.Judging, m *store.ImportMark) ([]mark.Record, error) {
	if m != nil {
		return pipe.StoreImportBatch(ctx, j.Judged(), m)
	}
	if j.Judged().Len() == 0 {
		return nil, nil
	}
	return pipe.StoreBatch(ctx, j.Judged())
}

// countReader counts the bytes read from r.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// linesDone are the lines of the file done (stored or blank) from line 1
// and their bytes.
type linesDone struct {
	lines int
	bytes int64
}

// utf8BOM is the byte order mark some editors write at the start of a
// UTF-8 file.
const utf8BOM = "\uFEFF"

// readBatch reads up to n scans; eof is set at the end of the file.
// A blank line is no scan (nothing to store), as in markd run and markd
// verify --db; it is counted in *blank, and markd import reports it under
// NOT_A_MARK, the verdict markd verify prints for it (spec §7 step 1).
// done is the lines read whole and good, up to pos() after the last one
// (pos: the byte of the file the next line starts at).
func readBatch(br *bufio.Reader, name string, n int, lineNo, blank *int, read *int64, pos func() int64, now func() time.Time, atAhead bool, judge func(mark.Scan) mark.Record) (scans []mark.Scan, eof bool, done linesDone, err error) {
	scans = make([]mark.Scan, 0, n)
	for len(scans) < n {
		done = linesDone{*lineNo, pos()}
		// (A line over maxLine bytes whose text without its surrounding
		// white space fits mark.MaxInputSize is whole: that text.)
		line, length, whole, err := textline.ReadFit(br, maxLine, mark.MaxInputSize)
		if errors.Is(err, io.EOF) {
			return scans, true, done, nil
		}
		if err != nil {
			return scans, false, done, fmt.Errorf("read %s line %d: %w", cmp.Or(name, "input"), *lineNo+1, err)
		}
		*read += int64(length) + 1
		if *lineNo == 0 && strings.HasPrefix(line, utf8BOM) {
			// A file saved by Windows Notepad starts with a UTF-8 byte
			// order mark: it is not part of the first scan.
			line, length = line[len(utf8BOM):], length-len(utf8BOM)
		}
		*lineNo++
		if !whole && strings.HasPrefix(strings.TrimSpace(line), "{") {
			// Only its start was kept: the object cannot be read, and
			// its cut would be refused as "unexpected EOF".
			return scans, false, done, &LineError{File: name, Line: *lineNo, Err: fmt.Errorf(
				"a line of %d bytes, more than %d: too long for a JSON scan object: %w", length, maxLine, mark.ErrInvalid)}
		}
		sc, ok, err := ParseLine(line)
		if ok && !whole {
			// a bare text over maxLine: its start (as read: its white
			// space is part of what is too long) and real length
			sc.Text, sc.Length = strings.TrimRight(line, "\r"), length
		}
		if err == nil && ok {
			if ae := (*AtError)(nil); errors.As(CheckAt(sc.At, now()), &ae) && !(ae.Ahead && atAhead) {
				err = ae
			} else {
				err = checkIssue(sc, judge)
			}
		}
		if err != nil {
			return scans, false, done, &LineError{File: name, Line: *lineNo, Err: err}
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
	return scans, false, linesDone{*lineNo, pos()}, nil
}
