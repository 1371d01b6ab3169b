package main

import (
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"markd/internal/cli"
)

// TestReadPasswordReadErrorKept: a failed read of the password from stdin
// is a usage error that still carries the read error (errors.Is), not
// only its text.
func TestReadPasswordReadErrorKept(t *testing.T) {
	eio := errors.New("input/output error")
	_, err := readPassword(iotest.ErrReader(eio), io.Discard, "password: ")
	var ue cli.UsageError
	if !errors.As(err, &ue) || !errors.Is(err, eio) {
		t.Fatalf("readPassword = %v (%T), want a cli.UsageError wrapping the read error", err, err)
	}
}
