package main

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// TestDocsQuoteRealCommands: every markhub command line the documents
// quote names subcommands and flags markhub has (`markhub service` only
// where it exists: Windows).
func TestDocsQuoteRealCommands(t *testing.T) {
	root := newRoot(&app{stdout: io.Discard, stderr: io.Discard})
	lines := testdata.DocCommands(t, "markhub")
	if len(lines) < 20 {
		t.Fatalf("found %d markhub command lines in the documents; the parser lost them", len(lines))
	}
	for line, doc := range lines {
		if runtime.GOOS != "windows" && (strings.HasPrefix(line, "markhub service") || strings.HasPrefix(line, "markhub.exe service")) {
			continue
		}
		testdata.CheckDocCommand(t, root, line, doc)
	}
}

// TestREADMENamesEveryCommand: the README's command table names every
// markhub subcommand.
func TestREADMENamesEveryCommand(t *testing.T) {
	testdata.CheckREADMENamesCommands(t, newRoot(&app{stdout: io.Discard, stderr: io.Discard}))
}
