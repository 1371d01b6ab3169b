package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// TestPostScanMarkInWhiteSpace: POST /api/scans with a shared vector's
// mark inside more than 4 KiB of white space (MARK-FORMAT §1: surrounding
// white space is ignored) records the verdict of the bare mark and the
// mark's text without that white space; it was a 400 "more than 4096".
// A text over 4096 bytes without its white space is refused as before.
func TestPostScanMarkInWhiteSpace(t *testing.T) {
	good := testdata.VectorNamed(t, "valid registered letter").Text
	post := func(t *testing.T, e *batchEnv, text string) (int, ScanResult) {
		t.Helper()
		body, _ := json.Marshal(ScanRequest{Text: text})
		var res ScanResult
		code := e.do(t, "POST", "/api/scans", string(body), &res)
		return code, res
	}
	// The bare mark's verdict on the tests' clock (ACCEPT on the default one).
	code, bare := post(t, newBatchEnv(t), good)
	if code != http.StatusOK || bare.ID == "" {
		t.Fatalf("bare mark: %d %+v", code, bare)
	}
	sp := strings.Repeat(" ", 5000)
	tests := []struct{ name, text string }{
		{"5000 spaces after", good + sp},
		{"5000 spaces before", sp + good},
		{"5000 tabs after (JSON \\t: the 16 KiB body allows no more)", good + strings.Repeat("\t", 5000)},
		{"NBSP before, U+3000 after", strings.Repeat("\u00a0", 2500) + good + strings.Repeat("\u3000", 1700)},
		{"spaces and CRLF", sp + good + sp + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, res := post(t, newBatchEnv(t), tt.text)
			if code != http.StatusOK || res.ID == "" || res.Verdict != bare.Verdict ||
				fmt.Sprint(res.Reasons) != fmt.Sprint(bare.Reasons) || res.Text != good || res.Message != "" {
				t.Fatalf("%d %s %v text %d bytes %q (%s); want 200 %s %v, the mark's text",
					code, res.Verdict, res.Reasons, len(res.Text), res.Message, res.Error, bare.Verdict, bare.Reasons)
			}
		})
	}
	t.Run("5000 spaces, then X: over 4096 as before", func(t *testing.T) {
		code, res := post(t, newBatchEnv(t), good+sp+"X")
		if code != http.StatusBadRequest || !strings.Contains(res.Error, "more than 4096") {
			t.Fatalf("%d %q, want 400 more than 4096", code, res.Error)
		}
	})
	t.Run("over 4 KiB of white space only: blank", func(t *testing.T) {
		code, res := post(t, newBatchEnv(t), sp+"\r\n"+sp)
		if code != http.StatusBadRequest || !strings.Contains(res.Error, "blank") {
			t.Fatalf("%d %q, want 400 blank", code, res.Error)
		}
	})
}
