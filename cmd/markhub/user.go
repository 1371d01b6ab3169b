package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"markd/hub"
	"markd/hub/hubweb"
	"markd/internal/cli"
	"markd/mark"
)

// newUserCmd manages the accounts of the regional pages.
func newUserCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage the accounts of the regional web pages"}
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create an account; the password (10 to 72 bytes) is read from stdin, or prompted for on a terminal",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			name := args[0]
			if hub.ValidTerminalName(name) != nil { // its error says "terminal name"
				return cli.UsageError{Err: fmt.Errorf("user name %q: %s: %w", name, hub.NameRule, mark.ErrInvalid)}
			}
			pw, err := readPassword(cmd.InOrStdin(), a.stderr, "Password: ")
			if err != nil {
				return err
			}
			hash, err := hubweb.HashPassword(pw, bcrypt.DefaultCost)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			reg, done, err := openRegionalAt(cmd, c)
			if err != nil {
				return err
			}
			defer done()
			if err := reg.AddUser(cmd.Context(), name, hash, time.Now().UTC()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "user %s added\n", name)
			return nil
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete an account and end its sessions at once (someone who left, a password that got out)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, done, err := a.openRegional(cmd)
			if err != nil {
				return err
			}
			defer done()
			n, err := reg.RemoveUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "user %s removed, %d %s ended\n", args[0], n, sessionsWord(n))
			return nil
		},
	}
	password := &cobra.Command{
		Use:     "password NAME",
		Aliases: []string{"passwd"},
		Short:   "Give an account a new password (10 to 72 bytes) and end its sessions at once; read from stdin, or prompted for on a terminal",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			reg, done, err := a.openRegional(cmd)
			if err != nil {
				return err
			}
			defer done()
			// The name first: no password typed for an account that is not there.
			if _, err := reg.PasswordHash(cmd.Context(), name); err != nil && !errors.Is(err, hub.ErrUserDisabled) {
				return err
			}
			pw, err := readPassword(cmd.InOrStdin(), a.stderr, "New password for "+name+": ")
			if err != nil {
				return err
			}
			hash, err := hubweb.HashPassword(pw, bcrypt.DefaultCost)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			n, err := reg.SetPassword(cmd.Context(), name, hash)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "password of %s changed, %d %s ended\n", name, n, sessionsWord(n))
			return nil
		},
	}
	// able makes disable and enable.
	able := func(use, short, done string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  args(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				reg, closeStore, err := a.openRegional(cmd)
				if err != nil {
					return err
				}
				defer closeStore()
				n, err := reg.SetDisabled(cmd.Context(), args[0], disabled)
				if err != nil {
					return err
				}
				if disabled {
					fmt.Fprintf(a.stdout, "user %s %s, %d %s ended\n", args[0], done, n, sessionsWord(n))
				} else {
					fmt.Fprintf(a.stdout, "user %s %s\n", args[0], done)
				}
				return nil
			},
		}
	}
	disable := able("disable", "Stop an account from logging in and end its sessions at once (markhub user enable undoes it)", "disabled", true)
	enable := able("enable", "Let a disabled account log in again with its password", "enabled", false)
	d := defaultConfig()
	for _, c := range append([]*cobra.Command{add, password, disable, enable, remove}, userDeviceCmds(a)...) {
		c.Flags().String("db", d.DB, "SQLite file or PostgreSQL URL")
		c.Flags().String("db-driver", d.DBDriver, "sqlite or postgres")
		cmd.AddCommand(c)
	}
	return cmd
}

// sessionsWord is "session" or "sessions" after n.
func sessionsWord(n int) string {
	if n == 1 {
		return "session"
	}
	return "sessions"
}

// openRegional loads the config and opens its store as the accounts of
// the regional pages; done closes it.
func (a *app) openRegional(cmd *cobra.Command) (reg hub.Regional, done func(), err error) {
	c, err := a.loadConfig(cmd.Flags())
	if err != nil {
		return nil, nil, err
	}
	return openRegionalAt(cmd, c)
}

// openRegionalAt opens the store of c as the accounts of the regional
// pages; done closes it.
func openRegionalAt(cmd *cobra.Command, c hub.Config) (reg hub.Regional, done func(), err error) {
	store, err := openStore(cmd.Context(), c)
	if err != nil {
		return nil, nil, err
	}
	reg, ok := store.(hub.Regional)
	if !ok {
		store.Close()
		return nil, nil, fmt.Errorf("the %s store has no regional pages: %w", c.DBDriver, mark.ErrInvalid)
	}
	return reg, func() { store.Close() }, nil
}

// readPassword prompts with label without echo on a terminal, else reads
// one line.
func readPassword(in io.Reader, prompt io.Writer, label string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, label)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(string(b), "\r"), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", cli.UsageError{Err: fmt.Errorf("read password from stdin: %w", err)}
	}
	return strings.TrimRight(line, "\r\n"), nil
}
