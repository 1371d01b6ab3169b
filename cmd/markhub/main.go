// Command markhub is the central collector of markd counters: it stores
// their records, detects reuse across counters and offices, authenticates
// terminals and publishes signed keyring/tariff/revocation bundles.
// Subcommands: serve, terminal add, keys new, bundle publish. This package
// only wires the hub packages together.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"markd/config"
	"markd/hub"
	"markd/hub/pgstore"
	"markd/hub/sqlitestore"
	"markd/internal/cli"
)

type app struct {
	configFile     string
	stdout, stderr io.Writer
	// log, when set, is the logger of serve and of loadConfig's warnings
	// instead of the log config's on stderr (the Windows service's: a
	// log file and the Event Log)
	log *slog.Logger
}

// osCommands are the commands of one OS only (service_windows.go: the
// Windows service).
var osCommands []func(*app) *cobra.Command

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, nil, stdout, stderr)
}

// runIO is run with stdin (nil: the process's), which a test sets.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := newRoot(a)
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetArgs(args)
	return cli.Exit(stderr, "markhub", root.ExecuteContext(ctx))
}

// newRoot is markhub's command tree, writing to a's streams.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{Use: "markhub", Short: "Central collector for markd counters", SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().StringVar(&a.configFile, "config", defaultConfigFile(), "config file (YAML); env MARKHUB_CONFIG"+defaultConfigHelp)
	root.SetFlagErrorFunc(cli.FlagError)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(newServeCmd(a), newTerminalCmd(a), newKeysCmd(a), newBundleCmd(a), newUserCmd(a), newContractCmd(a))
	for _, f := range osCommands {
		root.AddCommand(f(a))
	}
	cli.AddVersion(root)
	cli.StrictArgs(root)
	return root
}

// args wraps a cobra argument check so its error is a usage error that
// names the command and its usage line (cli.ArgsError).
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return cli.ArgsError(cmd, err)
		}
		return nil
	}
}

// loadConfig: defaults → file → MARKHUB_* env → flags (names with '-'
// read as '_') → Validate. The config package reads it as it reads
// markd's, so a bad key or value is named with its line, its environment
// variable or its flag.
func (a *app) loadConfig(flags *pflag.FlagSet) (hub.Config, error) {
	var c hub.Config
	validated := false
	warnings, err := config.Decode(a.configFile, "MARKHUB", exampleConfig(), flags, defaultConfig(), &c, func(origin func(string) string) error {
		validated = true
		if origin("session_ttl") == "" && c.SessionTTL > c.SessionLifetime {
			// the default follows a shorter session_lifetime (a config
			// written before session_ttl was a key); set, it is refused
			c.SessionTTL = c.SessionLifetime
		}
		if err := c.Validate(); err != nil {
			return err
		}
		return checkOSPaths(c)
	})
	if err != nil && !validated {
		return hub.Config{}, cli.UsageError{Err: err}
	}
	if err != nil {
		return hub.Config{}, err
	}
	// What loads but has no effect (a MARKHUB_* variable that is not a
	// key's): warned at the config's log level and format, never refused.
	if len(warnings) > 0 {
		log := a.logger(c.Log)
		for _, w := range warnings {
			log.Warn(w)
		}
	}
	return c, nil
}

// defaultConfig is hub.DefaultConfig with the files in this OS's places
// (osDefaults).
func defaultConfig() hub.Config {
	d := hub.DefaultConfig()
	osDefaults(&d)
	return d
}

func newLogger(c hub.LogConfig, w io.Writer) *slog.Logger {
	return cli.NewLogger(c.Level, c.Format, w)
}

// logger is a.log when set, else the logger of c on stderr.
func (a *app) logger(c hub.LogConfig) *slog.Logger {
	if a.log != nil {
		return a.log
	}
	return newLogger(c, a.stderr)
}

// withStore runs fn on the store of cmd's config and closes it after.
func (a *app) withStore(cmd *cobra.Command, fn func(store hub.Store) error) error {
	c, err := a.loadConfig(cmd.Flags())
	if err != nil {
		return err
	}
	return withStoreAt(cmd.Context(), c, fn)
}

// withStoreAt runs fn on the store of c and closes it after.
func withStoreAt(ctx context.Context, c hub.Config, fn func(store hub.Store) error) error {
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}

// openStore opens the configured backend.
func openStore(ctx context.Context, c hub.Config) (hub.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if c.DBDriver == "postgres" {
		return pgstore.OpenOptions(ctx, c.DB, pgstore.Options{MaxConns: int32(c.DBMaxConns), ConnectTimeout: c.DBTimeout / 2})
	}
	if err := ownDir(c.DB); err != nil { // %ProgramData%\markhub at the first start on Windows
		return nil, err
	}
	return sqlitestore.Open(ctx, c.DB)
}
