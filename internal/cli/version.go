package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"markd/internal/version"
)

// AddVersion gives root a `version` subcommand and a --version flag, both
// printing "NAME VERSION (commit …, built …, goX, os/arch)".
func AddVersion(root *cobra.Command) {
	line := root.Name() + " " + version.Get().String()
	root.Version = version.Get().Version
	root.SetVersionTemplate(line + "\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  func(_ *cobra.Command, args []string) error { return noArgs(args) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), line)
			return err
		},
	})
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return UsageError{Err: fmt.Errorf("version takes no arguments, got %q", args)}
	}
	return nil
}
