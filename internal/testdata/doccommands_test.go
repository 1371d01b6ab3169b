package testdata

import (
	"fmt"
	"testing"

	"github.com/spf13/cobra"
)

// recorder is a testing.TB that keeps what CheckDocCommand reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckDocCommand: the guard of the documents' command lines refuses
// a subcommand or flag the tree lacks, also a flag written as optional
// in brackets (`markd sync [--made-up]` passed before), and takes the
// real ones.
func TestCheckDocCommand(t *testing.T) {
	root := &cobra.Command{Use: "markd"}
	root.PersistentFlags().String("config", "", "")
	sync := &cobra.Command{Use: "sync", Run: func(*cobra.Command, []string) {}}
	sync.Flags().Bool("once", false, "")
	user := &cobra.Command{Use: "user"}
	add := &cobra.Command{Use: "add NAME", Run: func(*cobra.Command, []string) {}}
	add.Flags().String("role", "", "")
	user.AddCommand(add)
	root.AddCommand(sync, user)

	for _, tc := range []struct {
		line string
		bad  bool
	}{
		{"markd sync --once", false},
		{"markd sync [--once]", false},
		{"markd sync --once --config /etc/markd/markd.yaml", false},
		{"markd user add NAME --role operator", false},
		{"markd sync --made-up", true},
		{"markd sync [--made-up]", true},
		{"markd sync (--made-up)", true},
		{"markd user add NAME --role operator --colour red", true},
		{"markd history", true},
		{"markd user frobnicate NAME", true},
	} {
		r := &recorder{TB: t}
		CheckDocCommand(r, root, tc.line, "guide.md")
		if got := len(r.errs) > 0; got != tc.bad {
			t.Errorf("`%s`: refused %v (%q), want %v", tc.line, got, r.errs, tc.bad)
		}
	}
}
