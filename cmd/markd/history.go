package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"markd/config"
	"markd/daemon"
	"markd/mark"
	"markd/store"
	msync "markd/sync"
)

// restoreHistory is what every command that writes verdicts into a store
// does before the first one (issue 9 §3; markd run does it as a service):
// a store made by markd init first gets its office's used serials from
// markhub. With sync.url set it tries once and, when that fails, refuses
// (exit 1, nothing judged) instead of accepting marks the office accepted
// before; run the command again and it resumes after the last page. With
// sync off there is nothing to restore from: a warning, as the operator
// screen of markd run shows it. A store put back from a markd backup copy
// (not yet compared with the collector by an upload) is restored the same
// way. A store with its history costs two queries.
func restoreHistory(ctx context.Context, c config.Config, db *store.DB, log *slog.Logger, stderr io.Writer) error {
	pending, _, err := db.HistoryPending(ctx)
	if err != nil {
		return err
	}
	copied, err := db.BackupCopy(ctx)
	if err != nil || (!pending && (!copied || c.Sync.URL == "")) {
		return err
	}
	if c.Sync.URL == "" {
		fmt.Fprintf(stderr, "warning: %s is a new store and sync is off: serials accepted before it are not known "+
			"(set sync.url to restore them from markhub)\n", c.DB)
		return nil
	}
	client, err := msync.NewClient(daemon.SyncOptions(c.Sync).Client)
	if err != nil {
		return usageError{err}
	}
	r, err := msync.NewRestorer(ctx, db, client, log)
	if err != nil || r.Done() {
		return err // a store with its history; a markd backup copy is restored in full
	}
	n, err := r.RestoreNow(ctx)
	if err != nil {
		return mark.WithHint(fmt.Errorf("%s: %w", c.DB, err),
			"markhub at sync.url must answer with this counter's token; run the command again when it does "+
				"(the restore resumes where it stopped)")
	}
	fmt.Fprintf(stderr, "reuse history restored from markhub: %d serials\n", n)
	return nil
}
