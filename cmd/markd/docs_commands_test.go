package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// TestDocsQuoteRealCommands: every markd command line the documents quote
// names subcommands and flags markd has (a command renamed or never made,
// such as `markd history`, is caught here).
func TestDocsQuoteRealCommands(t *testing.T) {
	root := newRoot(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	lines := testdata.DocCommands(t, "markd")
	if len(lines) < 50 {
		t.Fatalf("found %d markd command lines in the documents; the parser lost them", len(lines))
	}
	for line, doc := range lines {
		testdata.CheckDocCommand(t, root, line, doc)
	}
}

// TestSyncHelpSaysExitStatus: markd sync --help tells the engineer who runs
// it by hand what its exit status means, as run, verify, reload and restore
// do (operations.md, Exit codes).
func TestSyncHelpSaysExitStatus(t *testing.T) {
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"sync", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("markd sync --help: exit %d: %s", code, errb.String())
	}
	help := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"Exit status: 0 done; 1 when it could not finish", "401, 403", "2 on a wrong command line"} {
		if !strings.Contains(help, want) {
			t.Errorf("markd sync --help lacks %q:\n%s", want, out.String())
		}
	}
}

// TestREADMENamesEveryCommand: the README's command table names every
// markd subcommand.
func TestREADMENamesEveryCommand(t *testing.T) {
	testdata.CheckREADMENamesCommands(t, newRoot(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}))
}
