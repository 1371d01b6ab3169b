package hubweb_test

import (
	"fmt"
	"os"
	"testing"

	"markd/hub/hubtest"
	"markd/internal/browsertest"
)

// TestMain shares one Chromium among the package's browser tests, each in
// a browser context of its own, and one PostgreSQL cluster among the
// tests on that backend (regionalStore), each in a database of its own.
func TestMain(m *testing.M) {
	code := browsertest.Main(m)
	if err := hubtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the shared PostgreSQL cluster:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}
