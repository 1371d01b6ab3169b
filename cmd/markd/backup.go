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
