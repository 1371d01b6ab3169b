package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"markd/internal/cli"
	"markd/store"
)

func init() { register(newUserCmd) }

// newUserCmd manages the accounts of the web pages: markd user
// add|passwd|disable|enable|remove|list|devices|revoke-device.
func newUserCmd(a *app) *cobra.Command {
	cmd := storeCmd("user", "Manage operator and supervisor accounts of the web pages", "")

	var role string
	add := &cobra.Command{
		Use:   "add NAME --role operator|supervisor",
		Short: "Create an account; the password (8 characters to 72 bytes) is read from stdin, or prompted for on a terminal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return usage("--role operator|supervisor is required")
			}
			r, err := store.ParseRole(role)
			if err != nil {
				return usage("--role: %v", err)
			}
			if err := store.ValidUserName(args[0]); err != nil {
				return usage("%v", err)
			}
			return a.withStore(cmd, func(db *store.DB) error {
				pw, err := readPassword(a, "Password for "+args[0]+": ")
				if err != nil {
					return err
				}
				if err := db.AddUser(cmd.Context(), args[0], r, pw); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "user %s added as %s\n", args[0], r)
				return nil
			})
		},
	}
	add.Flags().StringVar(&role, "role", "", "operator or supervisor (required)")

	passwd := &cobra.Command{
		Use:     "passwd NAME",
		Aliases: []string{"password"}, // markhub user password
		Short:   "Change the password of an account (8 characters to 72 bytes) and end its sessions (read from stdin, or prompted for on a terminal)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(db *store.DB) error {
				if _, err := db.GetUser(cmd.Context(), args[0]); err != nil {
					return err
				}
				pw, err := readPassword(a, "New password for "+args[0]+": ")
				if err != nil {
					return err
				}
				if err := db.SetPassword(cmd.Context(), args[0], pw); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "password of %s changed\n", args[0])
				return nil
			})
		},
	}

	// change makes disable, enable and remove: one store call on NAME. The
	// running daemon reads the account on every request and about once a
	// second on its open streams, so the account's sessions end within
	// about a second of the command (web/session.go).
	change := func(use, short, done string, do func(*store.DB, *cobra.Command, string) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  oneName,
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd, func(db *store.DB) error {
					if err := do(db, cmd, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "user %s %s\n", args[0], done)
					return nil
				})
			},
		}
	}
	disable := change("disable", "Stop an account from logging in and end its sessions (markd user enable undoes it)",
		"disabled; their sessions end",
		func(db *store.DB, cmd *cobra.Command, name string) error { return db.DisableUser(cmd.Context(), name) })
	enable := change("enable", "Let a disabled account log in again with its password", "enabled",
		func(db *store.DB, cmd *cobra.Command, name string) error { return db.EnableUser(cmd.Context(), name) })
	remove := change("remove", "Delete an account and end its sessions; the audit log and the scans keep its name",
		"removed; their sessions end",
		func(db *store.DB, cmd *cobra.Command, name string) error { return db.RemoveUser(cmd.Context(), name) })

	list := &cobra.Command{
		Use:   "list",
		Short: "List the accounts: role, when made and changed (office time), enabled or disabled",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withListStore(cmd, func(db *store.DB, loc *time.Location) error {
				users, err := db.ListUsers(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tCHANGED\tSTATE")
				for _, u := range users {
					state := "enabled"
					if u.Disabled {
						state = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role,
						listTime(u.CreatedAt, loc), listTime(u.UpdatedAt, loc), state)
				}
				return tw.Flush()
			})
		},
	}
	cmd.AddCommand(add, passwd, disable, enable, remove, list)
	cmd.AddCommand(userDeviceCmds(a)...)
	return cmd
}

// oneName is the argument check of the commands on one account: a usage
// error (exit 2) that says what is missing.
func oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usage("%s needs one account name, got %d arguments (markd user list shows the accounts)", cmd.CommandPath(), len(args))
	}
	return nil
}

func (a *app) openUserStore(cmd *cobra.Command) (*store.DB, error) {
	db, _, err := a.openListStore(cmd)
	return db, err
}

// withStore runs fn on the store of cmd's config (openUserStore) and
// closes the store after.
func (a *app) withStore(cmd *cobra.Command, fn func(db *store.DB) error) error {
	return a.withListStore(cmd, func(db *store.DB, _ *time.Location) error { return fn(db) })
}

// withListStore is withStore with the office's time zone (openListStore).
func (a *app) withListStore(cmd *cobra.Command, fn func(db *store.DB, loc *time.Location) error) error {
	db, loc, err := a.openListStore(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db, loc)
}

// storeCmd is the parent command of commands on the store's tables, with
// their --db flag.
func storeCmd(use, short, long string) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long}
	cmd.PersistentFlags().String("db", "", "SQLite store file (config key db)")
	return cmd
}

// openListStore is openUserStore with the office's time zone (config key
// tz), in which the list commands show times, as markd table and the
// pages do.
func (a *app) openListStore(cmd *cobra.Command) (*store.DB, *time.Location, error) {
	c, err := a.loadConfig(cmd)
	if err != nil {
		return nil, nil, err
	}
	loc, err := c.Location()
	if err != nil {
		return nil, nil, usageError{err}
	}
	log := newLogger(c.Log, a.stderr)
	db, err := store.OpenExisting(cmd.Context(), c.DB, log)
	return db, loc, err
}

// listTime is how the list commands show a time: the office's clock, to
// the minute.
func listTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") }

// readPassword prompts twice without echo when stdin is a terminal, and
// otherwise reads one line from stdin (for scripts: echo pw | markd user add).
func readPassword(a *app, prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		first, err := readNoEcho(f, a.stderr, prompt)
		if err != nil {
			return "", err
		}
		again, err := readNoEcho(f, a.stderr, "Again: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", usage("the two passwords differ")
		}
		return first, nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", usage("read password from stdin: %v", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readNoEcho reads one line from the terminal f with echo off (termios on
// Unix, the console mode on Windows: golang.org/x/term).
func readNoEcho(f *os.File, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(w) // the Enter the operator typed was not echoed either
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(string(b), "\r"), nil
}
