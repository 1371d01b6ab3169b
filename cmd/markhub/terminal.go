package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"markd/hub"
)

func newTerminalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "terminal", Short: "Manage the counters allowed to upload"}
	var certOnly bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a terminal and print its token (shown once; only its hash is stored)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			name := args[0]
			if err := hub.ValidTerminalName(name); err != nil {
				return err
			}
			store, err := openStore(cmd.Context(), c)
			if err != nil {
				return err
			}
			defer store.Close()
			t := hub.Terminal{Name: name, Created: time.Now().UTC()}
			token := ""
			if !certOnly {
				if token, t.TokenHash, err = hub.NewToken(); err != nil {
					return err
				}
			}
			if err := store.AddTerminal(cmd.Context(), t); err != nil {
				return err
			}
			if token != "" {
				fmt.Fprintln(a.stdout, token)
			} else {
				fmt.Fprintf(a.stdout, "terminal %s registered: it authenticates with a client certificate whose CN is %s\n", name, name)
			}
			return nil
		},
	}
	add.Flags().BoolVar(&certOnly, "cert-only", false, "no token: the terminal uses a client certificate (CN = NAME)")
	d := hub.DefaultConfig()
	add.Flags().String("db", d.DB, "SQLite file or PostgreSQL URL")
	add.Flags().String("db-driver", d.DBDriver, "sqlite or postgres")
	cmd.AddCommand(add)
	return cmd
}
