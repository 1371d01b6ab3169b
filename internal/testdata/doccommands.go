package testdata

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// UserDocs are the documents a post-office operator, a supervisor or the
// fleet engineer reads.
var UserDocs = []string{"README.md", "docs/operator-guide.md", "docs/operations.md",
	"docs/install-windows.md", "docs/api.md", "docs/local-api.md", "docs/ARCHITECTURE.md", "docs/scaling.md"}

// DocCommands finds the command lines of bin the documents quote: in
// backticks (`markd user add NAME`) and on the lines of indented or fenced
// examples (after runuser, sudo or echo … |), each with the document it
// is in.
func DocCommands(t testing.TB, bin string) map[string]string {
	t.Helper()
	fence := regexp.MustCompile("(?s)```.*?```")
	span := regexp.MustCompile("`([^`]+)`")
	example := regexp.MustCompile(`^(?:\s{4,}|)(?:runuser -u \S+ -- |sudo |echo \S+ \| |printf \S+ \| )?(?:\S*[/\\])?(` + bin + `(?:\.exe)? .*)$`)
	out := map[string]string{}
	add := func(c, doc string) {
		for _, stop := range []string{" #", "|", "<", ">"} {
			c, _, _ = strings.Cut(c, stop)
		}
		out[strings.Join(strings.Fields(c), " ")] = doc
	}
	for _, f := range UserDocs {
		data, err := os.ReadFile(filepath.Join(Root(t), f))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		var lines []string
		for _, block := range fence.FindAllString(text, -1) {
			lines = append(lines, strings.Split(block, "\n")...)
		}
		text = fence.ReplaceAllString(text, "")
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "    ") {
				lines = append(lines, line)
			}
		}
		for _, line := range lines {
			if m := example.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				add(m[1], f)
			}
		}
		for _, m := range span.FindAllStringSubmatch(text, -1) {
			if strings.HasPrefix(m[1], bin+" ") || strings.HasPrefix(m[1], bin+".exe ") {
				add(m[1], f)
			}
		}
	}
	return out
}

// CheckDocCommand reports a quoted command line whose subcommands or
// flags root does not have.
func CheckDocCommand(t testing.TB, root *cobra.Command, line, doc string) {
	t.Helper()
	words := strings.Fields(line)[1:]
	cmd := root
	for _, w := range words {
		if strings.HasPrefix(w, "-") || !regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`).MatchString(w) {
			break
		}
		sub, _, err := cmd.Find([]string{w})
		if err != nil || sub == cmd {
			if cmd.HasAvailableSubCommands() || cmd == root {
				t.Errorf("%s quotes `%s`: %q is no subcommand of %q", doc, line, w, cmd.CommandPath())
			}
			break
		}
		cmd = sub
	}
	// A flag after a space, or inside brackets or parentheses as an
	// optional one is written: `markd sync [--once]`.
	flag := regexp.MustCompile(`(?:^|[\s\[(])--([a-z][a-z0-9-]*)`)
	for _, m := range flag.FindAllStringSubmatch(line, -1) {
		if m[1] == "help" || m[1] == "version" && cmd == root {
			continue
		}
		if cmd.Flag(m[1]) == nil {
			t.Errorf("%s quotes `%s`: %q has no flag --%s", doc, line, cmd.CommandPath(), m[1])
		}
	}
}

// CheckREADMENamesCommands reports a subcommand of root (not hidden, not
// cobra's help and completion) that the README's command table does not
// name: a newcomer reads that table to learn what the binary does.
func CheckREADMENamesCommands(t testing.TB, root *cobra.Command) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if !strings.Contains(string(data), "`"+root.Name()+" "+c.Name()) {
			t.Errorf("README.md does not name `%s %s` (%s)", root.Name(), c.Name(), c.Short)
		}
	}
}
