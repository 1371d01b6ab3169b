package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"markd/bundle"
	"markd/internal/cli"
	"markd/internal/secretfile"
	"markd/mark"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "The distribution key that signs bundles"}
	var out string
	var force bool
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Make a distribution key: writes the private key file, prints the public key for sync.distribution_key",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				c, err := a.loadConfig(cmd.Flags())
				if err != nil {
					return err
				}
				out = c.DistributionKey
			}
			if _, err := os.Stat(out); err == nil && !force {
				return mark.WithHint(fmt.Errorf("%s exists: %w", out, mark.ErrConflict),
					"a new key makes every counter refuse bundles until its pinned key is changed; use --force if you mean it")
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			pub, priv, err := bundle.NewKey()
			if err != nil {
				return err
			}
			pemBytes, err := bundle.EncodePrivateKey(priv)
			if err != nil {
				return err
			}
			if err := ownDir(out); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
				return err
			}
			// 0600 whatever the umask, also when --force replaces a file of
			// wider mode (os.WriteFile would keep that file's mode).
			if err := secretfile.Write(out, pemBytes, 0o600); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, bundle.EncodePublicKey(pub))
			return nil
		},
	}
	newCmd.Flags().StringVar(&out, "out", "", "private key file (default: distribution_key of the config)")
	newCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing key file")
	cmd.AddCommand(newCmd)
	return cmd
}
