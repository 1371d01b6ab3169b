package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"markd/store"
)

func init() { register(newTokenCmd) }

// newTokenCmd manages the API tokens of local programs: markd token add|remove|list.
func newTokenCmd(a *app) *cobra.Command {
	cmd := storeCmd("token", "Manage API tokens of local programs (the cash-desk software)",
		`A program on this PC (the cash-desk software) calls the JSON API with
"Authorization: Bearer TOKEN". markd keeps only a hash of each token: the
token is printed once, by "token add"; a lost token is removed and made anew.`)
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Make a token for the program NAME and print it (once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.ValidTokenName(args[0]); err != nil {
				return usage("%v", err)
			}
			return a.withStore(cmd, func(db *store.DB) error {
				tok, err := db.AddToken(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, tok)
				fmt.Fprintf(a.stderr, "token for %s made; it is shown only now: put it into the program's settings\n", args[0])
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove the token of the program NAME (the running daemon refuses it within 5 s)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(db *store.DB) error {
				if err := db.RemoveToken(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "token %s removed; the running daemon refuses it within 5 s\n", args[0])
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the programs that have a token",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withListStore(cmd, func(db *store.DB, loc *time.Location) error {
				toks, err := db.ListTokens(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCREATED")
				for _, t := range toks {
					fmt.Fprintf(tw, "%s\t%s\n", t.Name, listTime(t.Created, loc))
				}
				return tw.Flush()
			})
		},
	}
	cmd.AddCommand(add, remove, list)
	return cmd
}
