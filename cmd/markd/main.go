// Command markd is the counter daemon for electronic postage marks and its
// tools: verify, run, import, decode, doctor, keys, issue, user.
// This package only wires the other packages together.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"markd/config"
	"markd/internal/cli"
	"markd/internal/secretfile"
)

// exitUsage is the exit code of a usage or configuration error.
const exitUsage = cli.ExitUsage

// app carries what every subcommand shares: the global flags and streams.
type app struct {
	configFile string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	// configWarnings: what loadConfig warned of, for a logger that is
	// not stderr's (the Windows service's)
	configWarnings []string
}

// subcommands registered by the files of this package (init functions), so
// each subcommand lives in its own file.
var subcommands []func(*app) *cobra.Command

func register(f func(*app) *cobra.Command) { subcommands = append(subcommands, f) }

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "markd",
		Short:         "Counter daemon for electronic postage marks (EPM v1)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configFile, "config", defaultConfigFile(), "config file (YAML); env MARKD_CONFIG"+defaultConfigHelp)
	root.SetFlagErrorFunc(cli.FlagError)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	for _, f := range subcommands {
		root.AddCommand(f(a))
	}
	cli.AddVersion(root)
	cli.StrictArgs(root)
	return root
}

// usageError marks errors that should exit with code 2 (cli.Exit). It is
// markd's own type, not cli.UsageError, because the subcommand files build
// it as usageError{err}.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) IsUsage() bool { return true }

func usage(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(a)
	root.SetArgs(args)
	return cli.Exit(stderr, "markd", root.ExecuteContext(ctx))
}

// loadConfig loads the config file and the flags of cmd that name config keys.
func (a *app) loadConfig(cmd *cobra.Command) (config.Config, error) {
	c, warnings, err := config.LoadWarn(a.configFile, cmd.Flags())
	if err != nil {
		return config.Config{}, usageError{err}
	}
	// What loads but has no effect (a MARKD_* variable that is not a
	// key's): warned at the config's log level and format, never refused.
	a.configWarnings = warnings
	if len(warnings) > 0 {
		log := newLogger(c.Log, a.stderr)
		for _, w := range warnings {
			log.Warn(w)
		}
	}
	// The token inline in a config every user may read: warned, not
	// refused (packages shipped the config 0644 before; the hint fixes it).
	if mode, ok := secretfile.HoldsExposed(a.configFile, c.Sync.Token); ok {
		fmt.Fprintf(a.stderr, "warning: config %s holds sync.token and every user may read it (mode %04o): "+
			"chmod 640 %s (group of the service), or move the token to sync.token_file\n", a.configFile, mode, a.configFile)
	}
	// The same for a proxy password written in sync.proxy.
	if u, err := url.Parse(c.Sync.Proxy); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			if mode, ok := secretfile.HoldsExposed(a.configFile, c.Sync.Proxy); ok {
				fmt.Fprintf(a.stderr, "warning: config %s holds the password of sync.proxy and every user may read it (mode %04o): "+
					"chmod 640 %s (group of the service), or set the proxy in HTTPS_PROXY of the service's environment\n", a.configFile, mode, a.configFile)
			}
		}
	}
	return c, nil
}

// newLogger builds the slog logger of the config; LOG_LEVEL overrides the level.
func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	return cli.NewLogger(c.Level, c.Format, w)
}
