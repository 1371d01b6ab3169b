package e2e

import (
	"strings"
	"testing"
)

// TestScanTextNeverEchoed: a scan's text, which a scanner, a wedge or a
// printed code controls, never reaches the daemon's stdout verdict lines
// or its log, so bidirectional overrides and terminal escapes in it cannot
// turn around or recolour what an operator or an engineer reads there.
// The records carry an id to look the text up where it is shown escaped
// (the review pages, the CSV).
func TestScanTextNeverEchoed(t *testing.T) {
	d := startDaemon(t, nil)
	for _, text := range []string{
		"EPM1:AB\u202eCD\x1b[31mRED",    // near a mark: REJECT MALFORMED
		"\u202eHELLO\a\x1b]0;title\x07", // not a mark
		"TRACE-\u2066isolate\u2069-\u200bzw",
	} {
		d.scan(t, text)
	}
	d.waitOutput(t, `"line":3,`)
	out := d.output()
	for _, want := range []string{`"line":1,"verdict":"REJECT","reasons":["MALFORMED"]`, `"line":2,"verdict":"NOT_A_MARK"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the output:\n%s", want, out)
		}
	}
	for _, bad := range []string{"\u202e", "\x1b", "\a", "\u2066", "\u2069", "\u200b", "HELLO", "RED", "isolate"} {
		if strings.Contains(out, bad) {
			t.Errorf("the daemon's output echoes a scan's text (%q):\n%q", bad, out)
		}
	}
}
