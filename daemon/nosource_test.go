package daemon

import (
	"os"
	"strings"
	"testing"

	"markd/internal/syncbuf"
)

// TestNoSourceUnderService: a counter whose config names no source (its
// scans come from the cash-desk program's local API and the operator
// screen) run as a service, where stdin is the null device, has no stdin
// source: nothing down on the operator screen or in /healthz, and no
// markd_source_up 0 to raise the scanner-down alert for ever. A pipe (make
// demo) or a terminal is still read.
func TestNoSourceUnderService(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip("no null device:", err)
	}
	defer null.Close()
	var logs syncbuf.Buffer
	r := start(t, Options{Config: testConfig(t), Stdin: null, Stderr: &logs})
	for _, h := range r.health() {
		t.Errorf("source %s (%s) on the counter's lights: up %v, %s", h.Name, h.Kind, h.Up, h.Detail)
	}
	if got := logs.String(); strings.Contains(got, "level=WARN") || !strings.Contains(got, "no scanner source") {
		t.Errorf("log %q: want the info that scans come by the local API and the screen only, no warning", got)
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	piped := start(t, Options{Config: testConfig(t), Stdin: pr})
	if len(piped.Sources) != 1 || piped.Sources[0].Health().Kind != "stdin" {
		t.Errorf("no source configured, stdin a pipe: sources %d, want the stdin source", len(piped.Sources))
	}
}
