package main

import (
	"os"
	"testing"

	"markd/internal/testdata"
)

// TestMain runs the in-process commands on the tests' clock: a scan or a
// mark that names no time gets testdata.Now, never the day the suite runs.
func TestMain(m *testing.M) {
	verifyNow = testdata.Now
	os.Exit(m.Run())
}
