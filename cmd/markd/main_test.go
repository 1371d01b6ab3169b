package main

import (
	"os"
	"testing"

	"markd/internal/testdata"
)

// TestMain runs the in-process commands on the tests' clock: a scan or a
// mark that names no time gets testdata.Now, never the day the suite runs.
// The markd binary of the process tests is built once into a folder
// removed at the end (dmBinary).
func TestMain(m *testing.M) {
	verifyNow = testdata.Now
	dir, err := os.MkdirTemp("", "markd-test-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
