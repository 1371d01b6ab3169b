package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"markd/bundle"
	"markd/internal/cli"
	"markd/internal/secretfile"
	"markd/mark"
	"markd/verify"
)

func newBundleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "bundle", Short: "Signed keyring/tariff/revocation bundles for the counters"}
	var keyring, tariffs, revoked, keyFile string
	var version uint64
	publish := &cobra.Command{
		Use:   "publish",
		Short: "Sign and publish a new bundle version (a list not given is carried over from the latest bundle)",
		Long: `Publish signs the keyring, tariffs and revocation list with the distribution
key (--key, or distribution_key of the config) as the next bundle version,
which the counters take at their next poll. A list not given is carried over
from the latest bundle; the first bundle needs --keyring and --tariffs.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig(cmd.Flags())
			if err != nil {
				return err
			}
			if keyFile == "" {
				keyFile = c.DistributionKey
			}
			pemBytes, err := secretfile.Read(keyFile, "distribution key")
			if err != nil {
				return err
			}
			priv, err := bundle.ParsePrivateKey(pemBytes)
			if err != nil {
				return err
			}
			store, err := openStore(cmd.Context(), c)
			if err != nil {
				return err
			}
			defer store.Close()
			ctx := cmd.Context()
			var prev bundle.Contents
			latest, data, err := store.LatestBundle(ctx)
			switch {
			case err == nil:
				p, err := bundle.Open(data, priv.Public().(ed25519.PublicKey))
				if err != nil {
					return fmt.Errorf("latest bundle %d: %w", latest, err)
				}
				prev = *p
			case !errors.Is(err, mark.ErrNotFound):
				return err
			default:
				if err := firstBundleLists(keyring, tariffs); err != nil {
					return err
				}
			}
			next := bundle.Contents{Version: latest + 1, Created: time.Now().UTC(),
				Keyring: prev.Keyring, Tariffs: prev.Tariffs, Revocations: prev.Revocations}
			if version != 0 {
				next.Version = version
			}
			for _, f := range []struct {
				path string
				dst  *bundle.File
			}{{keyring, &next.Keyring}, {tariffs, &next.Tariffs}, {revoked, &next.Revocations}} {
				if f.path == "" {
					continue
				}
				b, err := os.ReadFile(f.path)
				if err != nil {
					return fmt.Errorf("%s: %w: %v", f.path, mark.ErrInvalid, err)
				}
				*f.dst = bundle.File{Name: filepath.Base(f.path), Data: b}
			}
			v, err := verify.FromBundle(&next) // refuse lists a counter could not load
			if err != nil {
				return err
			}
			// A weak issuer key loads at a counter, distrusted
			// (spec-audit.md item 10); publishing is where to stop it.
			if d := v.Keyring().Distrusted(); len(d) > 0 {
				return fmt.Errorf("bundle %d not published: a counter would verify no mark under this key of its keyring: %w: %w",
					next.Version, errors.Join(d...), mark.ErrInvalid)
			}
			signed, err := bundle.Sign(next, priv)
			if err != nil {
				return err
			}
			if err := store.PutBundle(ctx, next.Version, signed, next.Created); err != nil {
				return err
			}
			vs := v.Versions()
			fmt.Fprintf(a.stdout, "published bundle %d (keyring %s, tariffs %s, revocations %s, %d bytes)\n",
				next.Version, vs.Keyring, vs.Tariffs, vs.Revocations, len(signed))
			return nil
		},
	}
	f := publish.Flags()
	f.StringVar(&keyring, "keyring", "", "issuer keyring file (YAML)")
	f.StringVar(&tariffs, "tariffs", "", "tariff table file (YAML)")
	f.StringVar(&revoked, "revoked", "", "revocation list file")
	f.StringVar(&keyFile, "key", "", "distribution private key (default: distribution_key of the config)")
	f.Uint64Var(&version, "version", 0, "version number (default: latest + 1)")
	d := defaultConfig()
	f.String("db", d.DB, "SQLite file or PostgreSQL URL")
	f.String("db-driver", d.DBDriver, "sqlite or postgres")
	cmd.AddCommand(publish)
	return cmd
}

// firstBundleLists refuses a first bundle without a keyring or tariffs:
// there is no bundle to carry them over from, and a counter cannot load
// a bundle without them.
func firstBundleLists(keyring, tariffs string) error {
	var missing []string
	if keyring == "" {
		missing = append(missing, "--keyring")
	}
	if tariffs == "" {
		missing = append(missing, "--tariffs")
	}
	if len(missing) == 0 {
		return nil
	}
	return cli.UsageError{Err: fmt.Errorf("no bundle is published yet to carry lists over from: the first needs --keyring FILE and --tariffs FILE (missing: %s)",
		strings.Join(missing, ", "))}
}
