package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"markd/internal/cli"
	"markd/store"
)

func init() { register(newInitCmd) }

// newInitCmd is the only way to create a store: every other command opens
// an existing one and refuses a missing, empty or foreign file.
func newInitCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new, empty store (a new counter only; refuses an existing file)",
		Long: `Create a new, empty store at --db (or the config's db), readable by its owner only.
Run it once when a counter is set up, as the service user. An existing file
is never touched, nor a new one made beside a leftover -wal.

To replace a lost or damaged store (move it aside with its -wal, -shm and
.walstate; never delete it): a counter with a collector (sync.url) is set up
again with markd init, and the new store restores the serials its office
accepted from the collector before it accepts a mark; without a collector
put the last backup in place with markd restore BACKUP instead, or the
counter would accept marks it accepted before (operations.md, Where the
data lives).`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			db, err := store.Create(cmd.Context(), c.DB, newLogger(c.Log, a.stderr))
			if err != nil {
				return err
			}
			if err := db.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "store %s created\n", c.DB)
			return nil
		},
	}
	cmd.Flags().String("db", "", "SQLite store file to create (config key db)")
	return cmd
}
