package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"markd/config"
	"markd/importer"
	"markd/internal/cli"
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
stderr when it is a terminal; a summary by verdict at the end.

The store remembers, with each batch it commits, how far the import of
FILE has come. Running it again (after a kill, a power cut, a bad line
corrected) goes on after the last line stored and says so; a file imported
to its end stores nothing ("already imported", exit 0); a file that grew
imports its new lines. A file whose imported lines changed is a new
import. --again imports every line again: what was stored comes back
DUPLICATE_SCAN within the re-scan window, REUSED after it. Standard input
("-"), a pipe or a device is not remembered: every run imports all of it.`,
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
	cli.Uint32(fl, "office", 0, "postal index of this office (config key office)")
	fl.Bool("again", false, "import every line of FILE again, even those already stored (they come back DUPLICATE_SCAN or REUSED)")
	fl.Bool("at-ahead", false, "take lines whose at is more than 10 minutes after this PC's clock (the PC's clock is known to be behind; the collector holds such records back until its own clock passes them)")
	fl.Int("hold-in-commit", 0, "tests only: the Nth write transaction after the store's open waits before its commit until the process is killed")
	_ = fl.MarkHidden("hold-in-commit")
	return cmd
}

func (a *app) runImport(cmd *cobra.Command, file string) error {
	c, err := a.loadConfig(cmd)
	if err != nil {
		return err
	}
	if c.Office == 0 {
		return usageError{config.NameOrigin(config.OfficeRequired(a.configFile), a.configFile, cmd.Flags())}
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{err}
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		return usageError{err}
	}
	a.reportDistrusted(v)
	again, _ := cmd.Flags().GetBool("again")
	holdAt, _ := cmd.Flags().GetInt("hold-in-commit")
	var in io.Reader = a.stdin
	var size int64
	var (
		f     *os.File
		track *store.ImportMark // how far FILE has come, recorded with each batch
	)
	if file != "-" {
		if f, err = os.Open(file); err != nil {
			return usage("import: %v", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		switch {
		case st.IsDir():
			return usage("import: %s is a directory: give the file of scans", file)
		case !st.Mode().IsRegular():
			// A pipe or a device (`markd import <(zcat scans.gz)` is
			// /dev/fd/63): read as a stream like stdin. Its bytes cannot
			// be read again at offsets to know it at a later run.
			fmt.Fprintf(a.stderr, "note: %s is not a regular file (a pipe or a device): the import is not remembered, "+
				"as for standard input; every run stores all of it (save it to a file first to be able to resume)\n", file)
			in = f
		default:
			size, in = st.Size(), f
			if track, err = a.importStart(cmd, c.DB, f, file, size, again, loc); err != nil || track == nil {
				return err // nothing new, or the store's error
			}
		}
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
		if holdAt > 0 { // a kill -9 inside a batch's transaction (TestImportKill9)
			writes := 0
			db.FailWrite = func() error {
				if writes++; writes == holdAt {
					fmt.Fprintln(a.stderr, "holding before commit")
					for {
						time.Sleep(time.Hour)
					}
				}
				return nil
			}
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
	iopt := importer.Options{Judge: pipeline.New(opt), Open: open, Name: name, Size: size, Progress: bar.update, Now: verifyNow}
	iopt.AtAhead, _ = cmd.Flags().GetBool("at-ahead")
	if track != nil {
		iopt.Mark, iopt.File = track, f
	}
	res, err := importer.Run(ctx, in, iopt)
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
	if errors.Is(err, store.ErrImportOvertaken) {
		err = mark.WithHint(err, fmt.Sprintf("another markd import of %s runs beside this one, or ran meanwhile: let it finish, "+
			"then run this command again: it goes on after the lines stored (none is stored twice)", file))
	}
	if le := (*importer.LineError)(nil); errors.As(err, &le) && track != nil {
		rerun := "the same command"
		if again {
			rerun = "it without --again"
		}
		err = mark.WithHint(err, fmt.Sprintf("correct line %d of %s and run %s again: the lines before it are stored and are not imported again",
			le.Line, file, rerun))
	}
	return err
}

// importStart finds how far an earlier import of FILE came (the store's
// imports whose first bytes f starts with) and readies f to be read on
// from there, saying so. It returns the mark to record with each batch:
// that import's, or a new one (--again, or none continues). nil: the file
// was imported to its end; nothing is left to do (the summary printed).
func (a *app) importStart(cmd *cobra.Command, db string, f *os.File, file string, size int64, again bool, loc *time.Location) (*store.ImportMark, error) {
	fresh := &store.ImportMark{ID: uuid.NewString(), Name: file}
	if again {
		fmt.Fprintf(a.stderr, "warning: --again: every line of %s is stored again; scans stored before come back "+
			"DUPLICATE_SCAN within the re-scan window and REUSED after it (rejections for the supervisor to review, "+
			"reported to the collector as reuse)\n", file)
		return fresh, nil
	}
	ctx := cmd.Context()
	cands, err := store.FindImports(ctx, db, size, importer.HeadHash(f))
	if err != nil {
		return nil, err
	}
	prior, err := importer.Continues(f, size, file, cands)
	if ce := (*importer.ChangedError)(nil); errors.As(err, &ce) {
		// From that line on, not after it: a file imported while its
		// last line was being written has that line whole now, and its
		// mark was never judged (what was stored is the start it had).
		return nil, mark.WithHint(err, fmt.Sprintf("import that line in full and the lines after it with `tail -n +%d %s > rest.txt` "+
			"(what was stored of line %d was its start then), or every line again with --again", ce.Line, file, ce.Line))
	}
	if err != nil {
		return nil, err
	}
	if prior == nil {
		return fresh, nil
	}
	when := prior.Updated.In(loc).Format("2006-01-02 15:04:05 MST")
	as := ""
	if prior.Name != file {
		as = " (as " + prior.Name + ")"
	}
	if prior.Bytes == size {
		fmt.Fprintf(a.stdout, "already imported: all %d lines of this file were imported on %s%s; nothing stored (--again imports them again)\n",
			prior.Lines, when, as)
		fmt.Fprintln(a.stdout, "imported 0 scans (0 new)")
		return nil, nil
	}
	if _, err := f.Seek(prior.Bytes, io.SeekStart); err != nil {
		return nil, fmt.Errorf("import %s: %w", file, err)
	}
	fmt.Fprintf(a.stdout, "resumed at line %d: %d lines of this file were imported on %s%s\n", prior.Lines+1, prior.Lines, when, as)
	prior.Name = file
	return prior, nil
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
