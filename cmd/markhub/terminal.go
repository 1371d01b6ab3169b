package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"markd/hub"
	"markd/internal/cli"
	"markd/mark"
)

func newTerminalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "terminal", Short: "Manage the counters allowed to upload"}
	var certOnly bool
	var office uint32
	add := &cobra.Command{
		Use:   "add NAME --office N",
		Short: "Register a terminal of office N and print its token (shown once; only its hash is stored)",
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
			if err := officeFlag(cmd, office); err != nil {
				return err
			}
			return withStoreAt(cmd.Context(), c, func(store hub.Store) error {
				t := hub.Terminal{Name: name, Office: office, Created: time.Now().UTC()}
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
					fmt.Fprintf(a.stdout, "terminal %s of office %06d registered: it authenticates with a client certificate whose CN is %s\n",
						name, office, name)
				}
				return nil
			})
		},
	}
	add.Flags().BoolVar(&certOnly, "cert-only", false, "no token: the terminal uses a client certificate (CN = NAME)")
	cli.Uint32Var(add.Flags(), &office, "office", 0, "postal index of the terminal's office (required): it may upload records of this office only")
	set := &cobra.Command{
		Use:   "set NAME --office N",
		Short: "Change the office a terminal uploads for (a terminal migrated without records has none)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			if err := officeFlag(cmd, office); err != nil {
				return err
			}
			return withStoreAt(cmd.Context(), c, func(store hub.Store) error {
				if err := store.SetOffice(cmd.Context(), args[0], office); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "terminal %s: office %06d\n", args[0], office)
				return nil
			})
		},
	}
	cli.Uint32Var(set.Flags(), &office, "office", 0, "postal index of the terminal's office")
	token := &cobra.Command{
		Use:   "token NAME",
		Short: "Give a terminal a new token and print it (shown once): its old token is refused from the next request (a token that got out, a counter taken out of service)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(store hub.Store) error {
				name := args[0]
				t, err := lookupTerminal(cmd.Context(), store, name)
				if err != nil {
					return err
				}
				if t.TokenHash == "" {
					return mark.WithHint(fmt.Errorf("terminal %s authenticates with a client certificate (CN %s), not a token: %w", name, name, mark.ErrInvalid),
						"markhub terminal revoke "+name+" refuses its certificate")
				}
				if err := a.newToken(cmd.Context(), store, name); err != nil {
					return err
				}
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the terminals with their office and how they authenticate",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd, func(store hub.Store) error {
				ts, err := store.Terminals(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%-30s %-8s %-12s %-25s %-12s %-25s %s\n", "NAME", "OFFICE", "AUTH", "CREATED", "CLOCK", "SEEN", "WAITING")
				for _, t := range ts {
					off, auth := "none", "token"
					if t.Office != 0 {
						off = fmt.Sprintf("%06d", t.Office)
					}
					if t.TokenHash == "" {
						auth = "certificate"
					}
					if !t.Revoked.IsZero() {
						auth = "revoked"
					}
					clock, seen := "-", "never"
					if !t.SeenAt.IsZero() {
						// the terminal's clock against the collector's, ±1 s
						clock, seen = fmt.Sprintf("%+.0fs", t.ClockSkew.Seconds()), t.SeenAt.Format(time.RFC3339)
					}
					waiting := "unknown" // an older counter does not report its outbox
					if !t.WaitingAt.IsZero() {
						waiting = strconv.FormatInt(t.Waiting, 10)
					}
					fmt.Fprintf(a.stdout, "%-30s %-8s %-12s %-25s %-12s %-25s %s\n", t.Name, off, auth, t.Created.Format(time.RFC3339), clock, seen, waiting)
				}
				return nil
			})
		},
	}
	d := defaultConfig()
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Refuse a terminal's token and client certificate from its next request (403); its records stay (markhub terminal readmit NAME admits it again under its name)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(store hub.Store) error {
				name := args[0]
				if err := store.Revoke(cmd.Context(), name, time.Now().UTC()); err != nil {
					return terminalErr(name, err)
				}
				fmt.Fprintf(a.stdout, "terminal %s revoked: its token and certificate are refused from its next request\n", name)
				return nil
			})
		},
	}
	var certFile string
	readmit := &cobra.Command{
		Use:   "readmit NAME [--cert FILE]",
		Short: "Admit a revoked terminal again under its name: a token terminal gets a new token (printed once), a certificate terminal the one certificate in FILE; its old token or certificate stays refused",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			var fp string
			if certFile != "" {
				var err error
				if fp, err = terminalCert(certFile, name); err != nil {
					return err
				}
			}
			return a.withStore(cmd, func(store hub.Store) error {
				t, err := lookupTerminal(cmd.Context(), store, name)
				if err != nil {
					return err
				}
				was := "was not revoked"
				if !t.Revoked.IsZero() {
					was = "revoked at " + t.Revoked.UTC().Format(time.RFC3339)
				}
				if t.TokenHash == "" {
					if certFile == "" {
						return cli.UsageError{Err: mark.WithHint(fmt.Errorf("terminal %s authenticates with a client certificate: --cert FILE is required, the new certificate (CN %s) it will be admitted with: %w", name, name, mark.ErrInvalid),
							"issue the counter a new certificate from the client CA, then: markhub terminal readmit "+name+" --cert FILE")}
					}
					if err := store.ReadmitCert(cmd.Context(), name, fp); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "terminal %s (%s) readmitted with the certificate sha256 %s only: any other certificate of CN %s, the old one among them, is refused\n",
						name, was, fp, name)
					return nil
				}
				if certFile != "" {
					return cli.UsageError{Err: mark.WithHint(fmt.Errorf("terminal %s authenticates with a token, not a certificate: %w", name, mark.ErrInvalid),
						"readmit it without --cert: it gets a new token")}
				}
				if err := a.newToken(cmd.Context(), store, name); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "terminal %s (%s) readmitted with the new token above (shown once); its old token is refused\n", name, was)
				return nil
			})
		},
	}
	readmit.Flags().StringVar(&certFile, "cert", "", "PEM file of the new client certificate of a certificate terminal (its CN is NAME)")
	for _, c := range []*cobra.Command{add, set, token, revoke, readmit, list} {
		c.Flags().String("db", d.DB, "SQLite file or PostgreSQL URL")
		c.Flags().String("db-driver", d.DBDriver, "sqlite or postgres")
		cmd.AddCommand(c)
	}
	return cmd
}

// terminalCert reads the PEM certificate of terminal name and returns the
// hex SHA-256 of its DER (hub.CertSHA256); its CN must be name, the name
// the collector finds the terminal by.
func terminalCert(file, name string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", cli.UsageError{Err: fmt.Errorf("--cert: %w: %w", mark.ErrInvalid, err)}
	}
	var block *pem.Block
	for rest := data; ; {
		if block, rest = pem.Decode(rest); block == nil || block.Type == "CERTIFICATE" {
			break
		}
	}
	if block == nil {
		return "", cli.UsageError{Err: fmt.Errorf("--cert %s: no PEM CERTIFICATE block: %w", file, mark.ErrInvalid)}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", cli.UsageError{Err: fmt.Errorf("--cert %s: %w: %v", file, mark.ErrInvalid, err)}
	}
	if cn := cert.Subject.CommonName; cn != name {
		return "", cli.UsageError{Err: fmt.Errorf("--cert %s: its common name is %q, not the terminal's name %q: the collector would not find the terminal by it: %w",
			file, cn, name, mark.ErrInvalid)}
	}
	return hub.CertSHA256(cert.Raw), nil
}

// officeFlag checks --office of terminal add and set: given, and a postal
// index (a terminal uploads for its office only).
func officeFlag(cmd *cobra.Command, office uint32) error {
	if !cmd.Flags().Changed("office") {
		return cli.UsageError{Err: fmt.Errorf("--office N is required: the 6-digit postal index of the terminal's office, such as 426000: %w", mark.ErrInvalid)}
	}
	if err := hub.ValidOffice(office); err != nil {
		return cli.UsageError{Err: fmt.Errorf("--office: %w", err)}
	}
	return nil
}

// lookupTerminal reads terminal name, with a hint when there is none.
func lookupTerminal(ctx context.Context, store hub.Store, name string) (hub.Terminal, error) {
	t, err := store.Terminal(ctx, name)
	return t, terminalErr(name, err)
}

// terminalErr is err of a store call on terminal name: when there is no
// such terminal, an error that says so with a hint.
func terminalErr(name string, err error) error {
	if errors.Is(err, mark.ErrNotFound) {
		return mark.WithHint(fmt.Errorf("no terminal %q: %w", name, mark.ErrNotFound), "markhub terminal list shows the terminals")
	}
	return err
}

// newToken gives terminal name a new bearer token and prints it (shown
// once); its old token is refused from then on.
func (a *app) newToken(ctx context.Context, store hub.Store, name string) error {
	tok, hash, err := hub.NewToken()
	if err != nil {
		return err
	}
	if err := store.SetToken(ctx, name, hash); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, tok)
	return nil
}
