package cli

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
)

func TestStrictArgs(t *testing.T) {
	tree := func() *cobra.Command {
		root := &cobra.Command{Use: "prog", SilenceUsage: true, SilenceErrors: true}
		user := &cobra.Command{Use: "user"}
		noop := func(*cobra.Command, []string) error { return nil }
		add := &cobra.Command{Use: "add NAME", Args: cobra.ExactArgs(1), RunE: noop}
		add.Flags().String("role", "", "")
		add.Flags().Bool("disabled", false, "")
		user.AddCommand(add,
			&cobra.Command{Use: "list", Args: cobra.NoArgs, RunE: noop},
			&cobra.Command{Use: "show", Args: NoArgs, RunE: noop})
		root.AddCommand(user, &cobra.Command{Use: "run", RunE: noop})
		root.SetFlagErrorFunc(FlagError)
		StrictArgs(root)
		return root
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string // substring of stderr
	}{
		{"no command", nil, 0, ""},
		{"group alone", []string{"user"}, 0, ""},
		{"unknown command", []string{"frob"}, ExitUsage, `unknown command "frob" for "prog"`},
		{"unknown subcommand", []string{"user", "ad", "bob"}, ExitUsage, `unknown command "ad" for "prog user" (did you mean add?)`},
		{"too few arguments", []string{"user", "add"}, ExitUsage, "prog user add: accepts 1 arg(s), received 0; usage: prog user add NAME"},
		{"unknown flag", []string{"user", "list", "--bogus"}, ExitUsage, "prog user list: unknown flag: --bogus; prog user list --help lists its flags"},
		{"unknown flag of the root", []string{"--bogus"}, ExitUsage, "prog: unknown flag: --bogus; prog --help lists its flags"},
		{"misspelt flag", []string{"user", "add", "bob", "--rol", "x"}, ExitUsage, "prog user add: unknown flag: --rol (did you mean --role?); prog user add --help lists its flags"},
		{"misspelt flag, two letters", []string{"user", "add", "bob", "--disabeld"}, ExitUsage, "unknown flag: --disabeld (did you mean --disabled?)"},
		{"extra argument", []string{"user", "list", "x"}, ExitUsage, `unknown command "x"`},
		{"argument to a command that takes none", []string{"user", "show", "/etc/x.yaml"}, ExitUsage, `prog user show takes no arguments, got "/etc/x.yaml"`},
		{"no argument", []string{"user", "show"}, 0, ""},
		{"good", []string{"user", "add", "bob"}, 0, ""},
		{"arbitrary args kept", []string{"run", "x"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := tree()
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(tc.args)
			code := Exit(&errb, "prog", root.Execute())
			if code != tc.code || !bytes.Contains(errb.Bytes(), []byte(tc.msg)) {
				t.Fatalf("code %d, stderr %q; want %d, %q", code, errb.String(), tc.code, tc.msg)
			}
		})
	}
}
