package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"markd/internal/winsvc/winsvctest"
)

// TestWindowsServiceNotElevated: in a command prompt that is not run as
// administrator, markd service install, uninstall, start and stop stop
// before touching anything (no starter config, no ACL change) with the
// hint to run it as administrator; status needs no administrator. Runs
// under wine (scripts/wine-test.sh), which is always elevated: the token's
// answer is replaced.
func TestWindowsServiceNotElevated(t *testing.T) {
	winsvctest.NotElevated(t, "markd", func(t *testing.T) {
		was := isElevated
		isElevated = func() bool { return false }
		t.Cleanup(func() { isElevated = was })
	}, func(args []string, stdout, stderr *bytes.Buffer) int {
		return run(context.Background(), args, strings.NewReader(""), stdout, stderr)
	})
}
