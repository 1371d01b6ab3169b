package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"markd/daemon"
	"markd/internal/cli"
	"markd/store"
	msync "markd/sync"
)

func init() { register(newSyncCmd) }

// newSyncCmd is `markd sync`: the upload to the collector on its own,
// beside or without `markd run` (which runs it itself when sync.url is
// set). With --once it drains the outbox and exits.
func newSyncCmd(a *app) *cobra.Command {
	var once, listRefused bool
	var resend string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Upload pending records and review decisions to the collector (sync.url)",
		Long: `Sync uploads the outbox (scans, closed batches, review decisions) to the
collector at sync.url, as markd run does by itself, beside or without the
daemon. Without --once it keeps uploading until SIGTERM or Ctrl+C; with
--once it drains the outbox and exits, saying how many records the
collector confirmed, stored unverified and refused (set aside), the reuse
alerts it sent back and the records still pending. A store made by markd
init first restores its office's reuse history (--once: one try).
--refused lists what the collector refused and the counter set aside;
--resend-refused puts them back in the outbox.

Exit status: 0 done; 1 when it could not finish (the collector refuses this
counter: 401, 403, an expired client certificate, not markhub answering;
the terminal registered for another office; a record stamped ahead of the
collector's clock; the reuse history not restored; the store missing or
in use); a collector out of reach is retried. 2 on a wrong command line, a
config that does not load, or no sync.url where one is needed.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			resendSeq, resending, err := resendFlag(cmd, resend)
			if err != nil {
				return err
			}
			if c.Sync.URL == "" && (once || !(resending || listRefused)) {
				return usage("sync.url is not set: nothing to upload to")
			}
			log := newLogger(c.Log, a.stderr)
			ctx := cmd.Context()
			db, err := store.OpenExisting(ctx, c.DB, log)
			if err != nil {
				return err
			}
			defer db.Close()
			if listRefused {
				return printSetAside(ctx, a.stdout, db)
			}
			if resending {
				if err := resendSetAside(ctx, a.stdout, db, resendSeq); err != nil || !once {
					return err // markd run uploads them
				}
			}
			// A store made by markd init gets its office's reuse history
			// first, so the next markd run, import or verify --db on it
			// judges with it (--once: one try, exit 1 when it fails).
			if once {
				if err := restoreHistory(ctx, c, db, log, a.stderr); err != nil {
					return err
				}
			}
			o := daemon.SyncOptions(c.Sync)
			o.Upload.Office = c.Office
			if o.Upload.Location, err = c.Location(); err != nil { // each record says the offset it was judged by
				return usageError{err}
			}
			if data, err := c.ZoneSet(); err == nil {
				o.Upload.ZoneData = data.String() // and the zone data it came from
			}
			client, err := msync.NewClient(o.Client)
			if err != nil {
				return usageError{err}
			}
			client.LogProxy(log)
			reg := prometheus.NewRegistry()
			client.Clock = msync.NewClock(o.ClockLimit, nil, log, reg) // measured and logged
			up := msync.NewUploader(db, client, o.Upload, log, reg)
			// A store put back from an older copy is found behind the
			// collector by the first upload: its history is restored again.
			hist, err := msync.NewRestorer(ctx, db, client, log)
			if err != nil {
				return err
			}
			up.CompareWith(hist)
			if !once {
				hctx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { defer close(done); _ = hist.Serve(hctx) }() // retries until done or stopped
				err = up.Serve(ctx)
				stop()
				<-done // before the store closes
				return err
			}
			start := time.Now()
			err = up.Drain(ctx)
			// What became of the backlog, also when the drain ended early.
			reportDrain(a.stdout, up.Progress(), time.Since(start), db)
			if err == nil && !hist.Done() {
				// Found behind: the next markd run, import or verify --db
				// judges with the serials accepted since the copy.
				err = restoreHistory(ctx, c, db, log, a.stderr)
			}
			// 401/403, an expired client certificate, a collector certificate
			// not trusted, a redirect, an answer that does not confirm the
			// records, a record stamped ahead of the collector's clock:
			// waiting here does not mend it, so --once ends (exit 1)
			// instead of retrying forever.
			return err
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "drain the outbox, then exit")
	cmd.Flags().BoolVar(&listRefused, "refused", false, "list what the collector refused and the counter set aside, then exit")
	cmd.Flags().StringVar(&resend, "resend-refused", "", "put what the collector refused back in the outbox: all, or the number --refused shows (with --once: upload them now)")
	cmd.Flags().Lookup("resend-refused").NoOptDefVal = "all"
	cmd.Flags().String("db", "", "SQLite store file (config key db)")
	return cmd
}

// reportDrain prints what `markd sync --once` did: the records the
// collector confirmed (the first line, which bench/sync.sh reads), those
// it stored unverified, the acceptances it disputes, those it refused
// (set aside), the reuse alerts it sent, and what is still pending.
func reportDrain(w io.Writer, p msync.Progress, d time.Duration, db *store.DB) {
	fmt.Fprintf(w, "uploaded %d records in %.2fs (%.0f records/s)\n", p.Uploaded, d.Seconds(), float64(p.Uploaded)/max(d.Seconds(), 1e-9))
	if p.Unverified > 0 {
		fmt.Fprintf(w, "%s stored unverified by the collector: the marks did not verify there and claim no serial (markhub's unverified page names them)\n",
			plural(p.Unverified, "1 of them", "%d of them"))
	}
	if p.Disputed > 0 {
		fmt.Fprintf(w, "%s disputed by the collector: the mark itself contradicts the acceptance (office, dates, lists or scan time); the log names them, markhub's alerts page lists them\n",
			plural(p.Disputed, "1 accepted record", "%d accepted records"))
	}
	if p.SetAside > 0 {
		fmt.Fprintf(w, "%s refused by the collector and set aside (upload_state refused): markd sync --refused lists them and why\n",
			plural(p.SetAside, "1 record", "%d records"))
	}
	if p.Alerts > 0 {
		fmt.Fprintf(w, "%s from the collector: a serial accepted here was accepted elsewhere too; the review page lists them\n",
			plural(p.Alerts, "1 reuse alert", "%d reuse alerts"))
	}
	// A short deadline of its own: the drain's context may have ended.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if st, err := db.OutboxStats(ctx); err == nil && st.Records > 0 {
		fmt.Fprintf(w, "%s still pending\n", plural(st.Records, "1 record", "%d records"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}
