package testdata

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ExitCodes reads the table under "## Exit codes" in docs/operations.md:
// one "command code" a row, backquotes dropped ("markd run 78", "other
// markhub commands 2"), for the tests that hold it to what the binaries
// return.
func ExitCodes(t testing.TB) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal("docs/operations.md has no section Exit codes")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.TrimSpace(cells[1]) == "command" || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		cmd := strings.ReplaceAll(strings.TrimSpace(cells[1]), "`", "")
		rows[cmd+" "+strings.TrimSpace(cells[2])] = true
	}
	if len(rows) == 0 {
		t.Fatal("docs/operations.md, Exit codes: no table rows")
	}
	return rows
}

// CheckExitTable holds the rows of the exit code table whose command
// starts with program ("markd", "markhub"; "other PROGRAM ..." rows too)
// to tested ("command code" of every row a test checks with the real
// binary): each tested row documented, each documented row tested (by).
func CheckExitTable(t testing.TB, program string, tested map[string]bool, by string) {
	t.Helper()
	documented := map[string]bool{}
	for k := range ExitCodes(t) {
		if strings.HasPrefix(k, program+" ") || strings.HasPrefix(k, "other "+program+" ") {
			documented[k] = true
		}
	}
	for k := range tested {
		if !documented[k] {
			t.Errorf("docs/operations.md, Exit codes: no row %q", k)
		}
	}
	for k := range documented {
		if !tested[k] {
			t.Errorf("docs/operations.md, Exit codes: row %q is not checked by %s", k, by)
		}
	}
}

// RunExit runs cmd to its end with empty stdin and returns its exit code
// and what it wrote on stderr; a command that could not start fails t.
func RunExit(t testing.TB, cmd *exec.Cmd) (code int, stderr string) {
	t.Helper()
	if cmd.Stdin == nil {
		cmd.Stdin = strings.NewReader("")
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return ee.ExitCode(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String()
}
