package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"markd/config"
	"markd/decode"
	"markd/internal/cli"
	"markd/internal/textline"
	"markd/mark"
	"markd/verify"
)

func init() { register(newVerifyCmd) }

// verifyNow is the clock of the one-shot commands (verify, issue, keys,
// import: the time of a scan that names none); tests fix it.
var verifyNow = time.Now

// verifyFlags are the flags of markd verify that are not config keys.
type verifyFlags struct {
	texts  []string
	date   string
	weight int
}

// newVerifyCmd is markd verify: stateless verification of texts, one JSON
// object per input line.
func newVerifyCmd(a *app) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [--text TEXT]",
		Short: "Verify mark texts (stdin lines or --text) and print one JSON verdict per line",
		Long: `Verify reads mark texts, one per line, from stdin (or the --text flags) and
prints one JSON object per input line:

  {"line":N,"verdict":"ACCEPT|REJECT|NOT_A_MARK","reasons":[...],"mark":{...}}

"mark" holds the decoded fields and is present only when the signature
verified. The keyring, tariffs, revocation list, office and time zone come
from the flags or the config file (keys keyring, tariffs, revoked, office,
tz); flags win. Without --date the acceptance date is today in --tz;
--at TIME judges as at that time (its day in --tz).

With --db each text is judged and recorded as markd run would (reuse,
re-scans): the verdict may also be DUPLICATE_SCAN or ERROR, a line names
where and when a used mark or a re-scan was first accepted
("first_accepted") and, for ERROR, why ("message").

Exit status: 0 when all input was read, 1 when the store (--db) cannot be
used or its reuse history is not restored, 2 on a usage or configuration
error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runVerify(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.texts, "text", nil, "text to verify instead of stdin (repeatable)")
	fl.String("keyring", "", "issuer keyring file (config key keyring)")
	fl.String("tariffs", "", "tariff table file (config key tariffs)")
	fl.String("revoked", "", "revocation list file, one serial a line (config key revoked)")
	cli.Uint32(fl, "office", 0, "postal index of the accepting office (config key office)")
	fl.String("tz", "", "office time zone for calendar days (config key tz; default Europe/Moscow)")
	fl.StringVar(&f.date, "date", "", "acceptance date YYYY-MM-DD (default: today in --tz)")
	fl.IntVar(&f.weight, "weight", 0, "measured weight of the item in grams (0 = no scale)")
	addVerifyDBFlags(fl) // verify_db.go: stateful mode
	return cmd
}

// noArgs refuses positional arguments with a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usage("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// verifySetup loads what a verification needs from the config and flags:
// the verifier and the acceptance context.
func (a *app) verifySetup(cmd *cobra.Command, date string, weight int, now func() time.Time) (config.Config, *verify.Verifier, mark.Context, error) {
	c, err := a.loadConfig(cmd)
	if err != nil {
		return c, nil, mark.Context{}, err
	}
	if c.Office == 0 {
		return c, nil, mark.Context{}, usage("--office (or config key office) is required: the postal index of this office")
	}
	if weight < 0 || weight > 1_000_000 {
		return c, nil, mark.Context{}, usage("--weight %d: must be grams between 0 and 1000000", weight)
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		return c, nil, mark.Context{}, usageError{err}
	}
	a.reportDistrusted(v)
	ctx := mark.Context{Office: c.Office, MeasuredWeightG: weight}
	if date != "" {
		if ctx.Date, err = mark.ParseDay(date); err != nil {
			return c, nil, mark.Context{}, usage("--date: %v", err)
		}
	} else {
		loc, err := c.Location()
		if err != nil {
			return c, nil, mark.Context{}, usageError{err}
		}
		ctx.Date = mark.DayOf(now().In(loc))
	}
	return c, v, ctx, nil
}

func (a *app) runVerify(cmd *cobra.Command, f verifyFlags) error {
	if verifyStateful(cmd) {
		return a.runVerifyDB(cmd, f)
	}
	for _, name := range []string{"counter", "rescan-window"} { // they would be ignored
		if cmd.Flags().Changed(name) {
			return usage("--%s applies only with --db (stateful verify): without a store there is no counter or re-scan", name)
		}
	}
	clock, err := verifyClock(cmd, f)
	if err != nil {
		return err
	}
	_, v, ctx, err := a.verifySetup(cmd, f.date, f.weight, clock)
	if err != nil {
		return err
	}
	judge := func(_ int, text string, length int) (*mark.Record, error) {
		if length > len(text) {
			return resultRecord(cutResult(v.Verify(text, ctx))), nil
		}
		return resultRecord(v.Verify(text, ctx)), nil
	}
	return a.verifyLines(f.texts, judge)
}

// cutResult is the result of a line of which only the start was kept
// (longer than any mark without its surrounding white space), from the
// result of that start: NOT_A_MARK, or REJECT with MALFORMED alone when
// it starts like a mark (MARK-FORMAT §7 step 2), as the pipeline stores
// such a line. No field of the cut is trusted, not even when it holds a
// whole mark and white space: the line scanned was not that mark.
func cutResult(res mark.Result) mark.Result {
	switch res.Verdict {
	case mark.NotAMark, mark.Error:
		return res
	}
	return mark.Result{Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonMalformed}}
}

// resultRecord wraps a stateless verification result as a record.
func resultRecord(res mark.Result) *mark.Record {
	return &mark.Record{Verdict: res.Verdict, Reasons: res.Reasons, Mark: res.Mark}
}

// utf8BOM is the byte order mark some editors write at the start of a
// UTF-8 file.
const utf8BOM = "\uFEFF"

// verifyLine is the JSON object printed for one input line.
type verifyLine struct {
	Line          int              `json:"line"`
	Verdict       mark.Verdict     `json:"verdict"`
	Reasons       []mark.Reason    `json:"reasons"`
	Mark          *mark.Fields     `json:"mark,omitempty"`
	FirstAccepted *mark.Acceptance `json:"first_accepted,omitempty"`
	Message       string           `json:"message,omitempty"`
}

// verifyOutput builds the output object of one line from its record; a
// stateful mode (store, reuse) reuses it with its own records.
func verifyOutput(line int, rec *mark.Record) verifyLine {
	out := verifyLine{Line: line, Verdict: rec.Verdict, Reasons: rec.Reasons,
		FirstAccepted: rec.FirstAccepted, Message: rec.Message}
	if out.Reasons == nil {
		out.Reasons = []mark.Reason{}
	}
	if rec.Mark != nil {
		f := rec.Mark.Fields()
		out.Mark = &f
	}
	return out
}

// verifyLines feeds texts (or, when there are none, the lines of stdin) to
// judge and prints one JSON object per line, numbered from 1.
//
// length is the line's real length in bytes when only its start was kept
// (a line over 4096 bytes from stdin, not counting white space around its
// text), else len(text).
func (a *app) verifyLines(texts []string, judge func(line int, text string, length int) (*mark.Record, error)) error {
	w := bufio.NewWriter(a.stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	emit := func(n int, text string, length int) error {
		rec, err := judge(n, text, length)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if err := enc.Encode(verifyOutput(n, rec)); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		return nil
	}
	if texts != nil {
		for i, t := range texts {
			if err := emit(i+1, t, len(t)); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	r := bufio.NewReaderSize(a.stdin, 64<<10)
	for n := 1; ; n++ {
		// A line's size limit applies to its text without surrounding
		// white space (MARK-FORMAT §1): a mark in 5 000 spaces is the mark.
		text, length, whole, err := textline.ReadFit(r, mark.MaxInputSize+1, mark.MaxInputSize)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read stdin line %d: %w", n, err)
		}
		if n == 1 && strings.HasPrefix(text, utf8BOM) { // a file saved by Windows Notepad: not part of the text
			text, length = text[len(utf8BOM):], length-len(utf8BOM)
		}
		if whole { // the text, without the white space that took it over the limit
			text = decode.Fit(text)
			length = len(text)
		}
		if err := emit(n, text, length); err != nil {
			return err
		}
		if r.Buffered() == 0 { // nothing more queued: show this verdict now
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
	}
	return w.Flush()
}
