package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	fl.String("at", "", "with --db: time of the scans, RFC 3339 (default: now); sets the acceptance date")
	fl.Duration("rescan-window", 0, "with --db: same text at the same counter within this time is DUPLICATE_SCAN (config key rescan_window; default 10m)")
}

// verifyStateful reports whether markd verify was asked for the stateful mode.
func verifyStateful(cmd *cobra.Command) bool { return cmd.Flags().Changed("db") }

// runVerifyDB is markd verify --db: each text becomes a stored record.
func (a *app) runVerifyDB(cmd *cobra.Command, f verifyFlags) error {
	atFlag, _ := cmd.Flags().GetString("at")
	at := time.Time{}
	if atFlag != "" {
		var err error
		if at, err = time.Parse(time.RFC3339Nano, atFlag); err != nil {
			return usage("--at %q: not an RFC 3339 time (e.g. 2026-11-25T10:00:00+04:00)", atFlag)
		}
		if f.date != "" {
			return usage("--at and --date together: --at sets the date")
		}
	}
	clock := time.Now
	if !at.IsZero() {
		clock = func() time.Time { return at }
	}
	saved := verifyNow
	verifyNow = clock
	c, v, _, err := a.verifySetup(cmd, f.date, f.weight)
	verifyNow = saved
	if err != nil {
		return err
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{err}
	}
	log := newLogger(c.Log, a.stderr)
	ctx := cmd.Context()
	db, err := store.Open(ctx, c.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Now = clock
	pipe := pipeline.New(pipeline.Options{Verifier: v, Store: db, Office: c.Office, Counter: c.Counter,
		Location: loc, RescanWindow: c.RescanWindow, Log: log, Now: clock})
	judge := func(_ int, text string) (*mark.Record, error) {
		rec := pipe.Process(ctx, mark.Scan{Text: text, Source: "verify", Counter: c.Counter, At: clock(),
			MeasuredWeightG: f.weight})
		return &rec, nil
	}
	return a.verifyLines(f.texts, judge)
}
