package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"markd/store"
)

func init() { register(newBackupCmd) }

// newBackupCmd is markd backup FILE: a consistent copy of the store while
// markd run keeps writing (SQLite VACUUM INTO).
func newBackupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to FILE while the daemon runs",
		Long: `Backup writes a consistent, compact copy of the store (db in the config,
or --db) to FILE with SQLite's VACUUM INTO while markd run goes on recording.
FILE must not exist; a disk that fills up leaves nothing there. The copy is
marked as a backup copy: put it in place with markd restore, and with
sync.url set it is compared with the collector before it accepts a mark.

Exit status: 0 written; 1 failed (FILE exists, the store missing, a disk
error); 2 on a wrong command line.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage("%s needs exactly one FILE (which must not exist)", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			db, err := store.OpenExisting(cmd.Context(), c.DB, newLogger(c.Log, a.stderr))
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "backup of %s written to %s\n", c.DB, args[0])
			return nil
		},
	}
	cmd.Flags().String("db", "", "SQLite store file (config key db)")
	return cmd
}
