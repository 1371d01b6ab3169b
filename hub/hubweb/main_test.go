package hubweb_test

import (
	"os"
	"testing"

	"markd/internal/browsertest"
)

// TestMain shares one Chromium among the package's browser tests, each in
// a browser context of its own.
func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
