package main

import (
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
