package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"markd/importer"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/verify"
)

func init() { register(newImportCmd) }

// importGCPercent is the garbage collector's pace during an import (Go's
// default is 100): ~25 MiB more peak memory for 40 000 marks.
const importGCPercent = 400

// importHeap is the Go heap an import readies in huge pages
// (growHeapHuge): its peak at GOGC 400 was ~77 MiB for 40 000 marks and
// does not grow with the file (the importer keeps a few batches in flight).
const importHeap = 96 << 20

// importHugeMin is the smallest file for which growHeapHuge runs (a
// collection, ~1 ms): ~6 000 marks; an import from stdin always does.
const importHugeMin = 1 << 20

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
	name := file
	if file == "-" {
		name = "stdin"
	}
	res, err := importer.Run(ctx, in, importer.Options{Judge: pipeline.New(opt), Open: open, Name: name, Size: size, Progress: bar.update})
	bar.done()
	counts, n, blank := res.Counts, res.Stored, res.Blank
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
