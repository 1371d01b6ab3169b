package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"markd/mark"
)

// exitCoder has an ExitCode method like *exec.ExitError: it must not decide
// the exit code of the command.
type exitCoder struct{}

func (exitCoder) Error() string { return "child exited" }
func (exitCoder) ExitCode() int { return 7 }

func TestExit(t *testing.T) {
	hinted := mark.WithHint(errors.New("cannot open"), "free some space")
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"success", nil, 0, ""},
		{"usage", UsageError{errors.New("needs FILE")}, ExitUsage, "prog: needs FILE\n"},
		{"wrapped usage", fmt.Errorf("import: %w", UsageError{errors.New("bad line")}), ExitUsage, "prog: import: bad line\n"},
		{"invalid", fmt.Errorf("config: %w", mark.ErrInvalid), ExitUsage, "prog: config: " + mark.ErrInvalid.Error() + "\n"},
		{"failure", errors.New("disk on fire"), 1, "prog: disk on fire\n"},
		{"child exit code", fmt.Errorf("run: %w", exitCoder{}), 1, "prog: run: child exited\n"},
		{"hint", hinted, 1, "prog: cannot open (hint: free some space)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if code := Exit(&b, "prog", tc.err); code != tc.code {
				t.Errorf("code %d, want %d", code, tc.code)
			}
			if b.String() != tc.out {
				t.Errorf("stderr %q, want %q", b.String(), tc.out)
			}
		})
	}
}
