package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"markd/daemon"
	"markd/store"
	msync "markd/sync"
)

func init() { register(newSyncCmd) }

// newSyncCmd is `markd sync`: the upload to the collector on its own,
// beside or without `markd run` (which runs it itself when sync.url is
// set). With --once it drains the outbox and exits.
func newSyncCmd(a *app) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Upload pending records and review decisions to the collector (sync.url)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			if c.Sync.URL == "" {
				return usage("sync.url is not set: nothing to upload to")
			}
			log := newLogger(c.Log, a.stderr)
			ctx := cmd.Context()
			db, err := store.OpenExisting(ctx, c.DB, log)
			if err != nil {
				return err
			}
			defer db.Close()
			// A store made by markd init gets its office's reuse history
			// first, so the next markd run, import or verify --db on it
			// judges with it (--once: one try, exit 1 when it fails).
			if once {
				if err := restoreHistory(ctx, c, db, log, a.stderr); err != nil {
					return err
				}
			}
			o := daemon.SyncOptions(c.Sync)
			client, err := msync.NewClient(o.Client)
			if err != nil {
				return usageError{err}
			}
			reg := prometheus.NewRegistry()
			client.Clock = msync.NewClock(o.ClockLimit, nil, log, reg) // measured and logged
			up := msync.NewUploader(db, client, o.Upload, log, reg)
			if !once {
				hist, err := msync.NewRestorer(ctx, db, client, log)
				if err != nil {
					return err
				}
				hctx, stop := context.WithCancel(ctx)
				done := make(chan struct{})
				go func() { defer close(done); _ = hist.Serve(hctx) }() // retries until done or stopped
				err = up.Serve(ctx)
				stop()
				<-done // before the store closes
				return err
			}
			start := time.Now()
			before, err := db.OutboxStats(ctx)
			if err != nil {
				return err
			}
			if err := up.Drain(ctx); err != nil {
				// 401/403, an expired client certificate: waiting does not
				// mend it, so --once ends (exit 1) instead of retrying forever.
				return err
			}
			d := time.Since(start)
			fmt.Fprintf(a.stdout, "uploaded %d records in %.2fs (%.0f records/s)\n", before.Records, d.Seconds(),
				float64(before.Records)/max(d.Seconds(), 1e-9))
			return nil
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "drain the outbox, then exit")
	cmd.Flags().String("db", "", "SQLite store file (config key db)")
	return cmd
}
