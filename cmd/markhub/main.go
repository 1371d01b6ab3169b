// Command markhub is the central collector of markd counters: it stores
// their records, detects reuse across counters and offices, authenticates
// terminals and publishes signed keyring/tariff/revocation bundles.
// Subcommands: serve, terminal add, keys new, bundle publish. This package
// only wires the hub packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"markd/hub"
	"markd/hub/pgstore"
	"markd/hub/sqlitestore"
	"markd/mark"
)

const exitUsage = 2

type app struct {
	configFile     string
	stdout, stderr io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{Use: "markhub", Short: "Central collector for markd counters", SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().StringVar(&a.configFile, "config", os.Getenv("MARKHUB_CONFIG"), "config file (YAML); env MARKHUB_CONFIG")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCmd(a), newTerminalCmd(a), newKeysCmd(a), newBundleCmd(a))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "markhub:", err)
	if h := mark.Hint(err); h != "" {
		fmt.Fprintln(stderr, "hint:", h)
	}
	var ue usageError
	if errors.Is(err, mark.ErrInvalid) || errors.As(err, &ue) {
		return exitUsage
	}
	return 1
}

// usageError marks a wrong command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// args wraps a cobra argument check so its error is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// loadConfig: defaults → file → MARKHUB_* env → flags (names with '-'
// read as '_') → Validate.
func (a *app) loadConfig(flags *pflag.FlagSet) (hub.Config, error) {
	v := viper.New()
	def := hub.DefaultConfig()
	setDefaults(v, "", reflect.ValueOf(def))
	v.SetEnvPrefix("MARKHUB")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if a.configFile != "" {
		v.SetConfigFile(a.configFile)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return hub.Config{}, fmt.Errorf("config file %s: %w: %v", a.configFile, mark.ErrInvalid, err)
		}
	}
	var bindErr error
	flags.Visit(func(f *pflag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		for _, k := range v.AllKeys() {
			if k == key {
				if err := v.BindPFlag(key, f); err != nil && bindErr == nil {
					bindErr = err
				}
			}
		}
	})
	if bindErr != nil {
		return hub.Config{}, bindErr
	}
	var c hub.Config
	if err := v.Unmarshal(&c, func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.DecodeHook = mapstructure.StringToTimeDurationHookFunc()
	}); err != nil {
		return hub.Config{}, fmt.Errorf("config: %w: %v", mark.ErrInvalid, err)
	}
	return c, c.Validate()
}

func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("mapstructure")
		if prefix != "" {
			key = prefix + "." + key
		}
		if t.Field(i).Type.Kind() == reflect.Struct {
			setDefaults(v, key, val.Field(i))
			continue
		}
		v.SetDefault(key, val.Field(i).Interface())
	}
}

func newLogger(c hub.LogConfig, w io.Writer) *slog.Logger {
	var lv slog.Level
	level := c.Level
	if env := os.Getenv("LOG_LEVEL"); env != "" {
		level = env
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured backend.
func openStore(ctx context.Context, c hub.Config) (hub.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if c.DBDriver == "postgres" {
		return pgstore.Open(ctx, c.DB)
	}
	return sqlitestore.Open(ctx, c.DB)
}
