package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestPostScanBlankText: a text of blanks only (spaces, tabs, line ends)
// is 400 naming the text, nothing recorded, as an empty one is. It was a
// 200 NOT_A_MARK without an id, with "at" 0001-01-01, office 0 and counter
// "": an answer that looked like a record and was none (a scanner's blank
// line is skipped, not recorded).
func TestPostScanBlankText(t *testing.T) {
	e := newBatchEnv(t)
	for _, text := range []string{" ", "\t", "\r\n", " \n \t "} {
		var eb map[string]any
		code := e.do(t, "POST", "/api/scans", scanBody(text, 0, ""), &eb)
		if msg, _ := eb["error"].(string); code != http.StatusBadRequest || !strings.Contains(msg, "text") || !strings.Contains(msg, "blank") {
			t.Errorf("text %q: %d %v, want 400 naming the blank text", text, code, eb)
		}
	}
	var page ScansPage
	e.do(t, "GET", "/api/scans", "", &page)
	if len(page.Scans) != 0 {
		t.Errorf("blank texts recorded %d scans", len(page.Scans))
	}
}
