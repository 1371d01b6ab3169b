package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"markd/store"
)

func init() { register(newRestoreCmd) }

// newRestoreCmd is markd restore BACKUP: put a backup in place as the
// store while the daemon is stopped (store.Restore).
func newRestoreCmd(a *app) *cobra.Command {
	var clock string
	cmd := &cobra.Command{
		Use:   "restore BACKUP",
		Short: "Put a backup (made by markd backup) in place as the store; the daemon must be stopped",
		Long: `Restore puts BACKUP in place as the store (db in the config, or --db).

It refuses while markd run holds the store (stop the daemon first) or
another program has it open (Linux names it: the sqlite3 shell, a markd
import), and refuses a BACKUP that is not a whole markd store: not SQLite, another
program's database, damaged (PRAGMA integrity_check), migrated by a newer
markd, or with a -wal file beside it. Nothing is changed then.

The store in place, with its -wal, -shm and .walstate, is moved aside to
DB.before-restore-TIME (never deleted); the backup is copied beside the
store, synced and renamed into place, so no old -wal or -shm stays beside
it. A store path that is a symbolic link is followed: the link's target
is set aside and replaced (with its -wal, -shm and .walstate), the link
stays. The restored store is marked as a backup copy: with sync.url set the
daemon compares it with the collector before it accepts a mark.

Exit status: 0 restored; 1 refused or failed (the store in use, a bad
backup, a disk error); 2 on a wrong command line.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage("%s needs exactly one BACKUP file", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			now := time.Now()
			if clock != "" {
				if now, err = time.Parse(time.RFC3339Nano, clock); err != nil {
					return usage("--clock %q: not an RFC 3339 time", clock)
				}
			}
			r, err := store.Restore(cmd.Context(), c.DB, args[0], now)
			if err != nil {
				return err
			}
			w := a.stdout
			fmt.Fprintf(w, "backup %s restored to %s (%d bytes)\n", args[0], c.DB, r.BackupSize)
			if len(r.Aside) > 0 {
				fmt.Fprintf(w, "the store that was in place was moved aside (not deleted): %s\n", strings.Join(r.Aside, ", "))
			} else {
				fmt.Fprintf(w, "there was no store at %s\n", c.DB)
			}
			if r.CopiedOpen {
				fmt.Fprintln(w, "the backup was copied from a store markd had open: copied as a file (cp, a backup tool copying *.db) rather than "+
					"by markd backup or sqlite3 .backup, it lacks the scans that were then only in the store's -wal; take backups with markd backup")
			}
			fmt.Fprintln(w, "next: start the daemon (systemctl start markd; Windows: markd service start)")
			if c.Sync.URL == "" {
				fmt.Fprintln(w, "sync.url is not set: the store knows the scans up to the backup only; "+
					"a mark accepted after the backup was taken is not in it and would be accepted again")
			} else {
				fmt.Fprintln(w, "sync.url is set: until the first upload compares the store with the collector every mark is "+
					"ERROR \"reuse history not restored\"; if the collector holds newer records or review events from this "+
					"terminal (the store is behind), the daemon logs it at error level and restores the office's used serials "+
					"from the collector again (every mark ERROR until done) and numbers review decisions after the collector's; "+
					"the scans themselves after the backup are not brought back, only their serials as used")
			}
			return nil
		},
	}
	cmd.Flags().String("db", "", "SQLite store file (config key db)")
	cmd.Flags().StringVar(&clock, "clock", "", "tests only: the time that names the store moved aside (RFC 3339)")
	_ = cmd.Flags().MarkHidden("clock")
	return cmd
}
