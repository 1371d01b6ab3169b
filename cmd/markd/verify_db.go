package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"markd/importer"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
)

// addVerifyDBFlags adds the stateful mode of markd verify: with --db the
// texts go through the daemon's pipeline and store (reuse detection), so a
// recorded sequence of scans can be replayed; --at sets the clock.
func addVerifyDBFlags(fl *pflag.FlagSet) {
	fl.String("db", "", "stateful: record the scans in this SQLite store and apply reuse (config key db)")
	fl.String("counter", "", "with --db: id of the counter the scans are made at (config key counter)")
	fl.String("at", "", "time of the scans, RFC 3339 (default: now); sets the acceptance date, and with --db the time stored")
	fl.Bool("at-ahead", false, "with --db: take an --at more than 10 minutes after this PC's clock (the PC's clock is known to be behind; the collector holds such records back until its own clock passes them)")
	fl.Duration("rescan-window", 0, "with --db: same text at the same counter within this time is DUPLICATE_SCAN (config key rescan_window; default 10m)")
}

// verifyStateful reports whether markd verify was asked for the stateful mode.
func verifyStateful(cmd *cobra.Command) bool { return cmd.Flags().Changed("db") }

// runVerifyDB is markd verify --db: each text becomes a stored record.
func (a *app) runVerifyDB(cmd *cobra.Command, f verifyFlags) error {
	clock, err := verifyClock(cmd, f)
	if err != nil {
		return err
	}
	// The scans are stored under --at and uploaded: a time the collector
	// refuses, or holds back with every later record (one ahead of its
	// clock), is a typo here, as in a line of markd import.
	if atFlag, _ := cmd.Flags().GetString("at"); atFlag != "" {
		ahead, _ := cmd.Flags().GetBool("at-ahead")
		if ae := (*importer.AtError)(nil); errors.As(importer.CheckAt(clock(), verifyNow()), &ae) && !(ahead && ae.Ahead) {
			return usage("--at %s: %s", atFlag, ae.Why)
		}
	}
	c, v, _, err := a.verifySetup(cmd, f.date, f.weight, clock)
	if err != nil {
		return err
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{err}
	}
	log := newLogger(c.Log, a.stderr)
	ctx := cmd.Context()
	db, err := store.OpenExistingWith(ctx, c.DB, store.Options{Log: log, Now: clock})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := restoreHistory(ctx, c, db, log, a.stderr); err != nil {
		return err
	}
	pipe := pipeline.New(pipeline.Options{Verifier: v, Store: db, Office: c.Office, Counter: c.Counter,
		Location: loc, RescanWindow: c.RescanWindow, Log: log, Now: clock})
	// Its scans are stored as the daemon's are, the signature checked under
	// the commit: so, as the daemon does at its start, close the crash
	// window a daemon may have left, which also lets the writer move the
	// check watermark over the scans stored here (every 64), so that the
	// daemon's next start does not check them all again.
	if _, _, err := pipe.RecheckSignatures(ctx); err != nil {
		return err
	}
	judge := func(_ int, text string, length int) (*mark.Record, error) {
		sc := mark.Scan{Text: text, Source: "verify", Counter: c.Counter, At: clock(), MeasuredWeightG: f.weight}
		if length > len(text) { // only the start of a long line was kept
			sc.Length = length
		}
		rec := pipe.Process(ctx, sc)
		return &rec, nil
	}
	return a.verifyLines(f.texts, judge)
}

// verifyClock is the clock of markd verify: --at fixes it (with or without
// --db: it sets the acceptance date of the date checks either way), else
// verifyNow.
func verifyClock(cmd *cobra.Command, f verifyFlags) (func() time.Time, error) {
	atFlag, _ := cmd.Flags().GetString("at")
	if atFlag == "" {
		return verifyNow, nil
	}
	at, err := time.Parse(time.RFC3339Nano, atFlag)
	if err != nil {
		return nil, usage("--at %q: not an RFC 3339 time (e.g. 2026-11-25T10:00:00+04:00)", atFlag)
	}
	if f.date != "" {
		return nil, usage("--at and --date together: --at sets the date")
	}
	return func() time.Time { return at }, nil
}
