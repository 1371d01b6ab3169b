package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"markd/batch"
)

// TestJSONBodyStrict: the JSON bodies of POST /api/scans and POST
// /api/batches are read as sent or refused with 400 naming what is wrong
// and where, nothing recorded. A key given twice ({"text": A, "text": B})
// was taken as its last value, so a scan other than the one a program's
// own JSON reader (or a log) saw was judged and recorded; bytes that are
// not UTF-8 were recorded as U+FFFD, a text other than the one scanned; a
// number sent as a string or a fraction was refused naming Go's types
// ("Go struct field ScanRequest.weight_g of type int"). A UTF-8 byte order
// mark before the object (what Windows programs write) is skipped: it was
// a 400 "invalid character 'ï'". Two keys the decoder matches to one field
// (text and TEXT: it ignores case) are a key given twice too; they were
// taken, the last one's value judged (found by FuzzReadJSON).
func TestJSONBodyStrict(t *testing.T) {
	e := newBatchEnv(t)
	valid := e.sign(1, 77, 20)
	tests := []struct {
		name, path, body string
		want             []string // in the error, each
	}{
		{"text twice", "/api/scans", `{"text": "` + valid + `", "text": "EPM1:XXXX"}`, []string{`"text"`, "twice"}},
		// the decoder matches a key to its field whatever the case: the
		// last of text and TEXT won, where a reader of "text" saw the first
		{"text twice, in another case", "/api/scans", `{"text": "` + valid + `", "TEXT": "EPM1:XXXX"}`, []string{`"TEXT"`, "twice"}},
		{"source twice, a long s", "/api/scans", `{"text": "x", "source": "", "ſource": "browser-wedge"}`, []string{"twice"}},
		{"batch twice", "/api/scans", `{"text": "x", "batch": "a", "batch": "b"}`, []string{`"batch"`, "twice"}},
		{"contract twice", "/api/batches", `{"contract": 77, "contract": 78}`, []string{`"contract"`, "twice"}},
		{"not UTF-8", "/api/scans", "{\"text\": \"EPM1:\xff\xfeAB\"}", []string{"UTF-8", "byte 16"}},
		{"weight as a string", "/api/scans", `{"text": "x", "weight_g": "20"}`, []string{"weight_g", "string", "whole number"}},
		{"weight a fraction", "/api/scans", `{"text": "x", "weight_g": 20.5}`, []string{"weight_g", "20.5", "whole number"}},
		{"contract as a string", "/api/batches", `{"contract": "77"}`, []string{"contract", "string", "whole number"}},
		{"contract negative", "/api/batches", `{"contract": -1}`, []string{"contract", "-1", "whole number"}},
		{"text a number", "/api/scans", `{"text": 5}`, []string{"text", "number", "string"}},
		{"not JSON", "/api/scans", `{"text": "x",}`, []string{"not JSON", "byte"}},
		{"an array", "/api/scans", `[{"text": "x"}]`, []string{"request body: array given, a JSON object wanted"}},
	}
	for _, tc := range tests {
		var eb map[string]any
		code := e.do(t, "POST", tc.path, tc.body, &eb)
		msg, _ := eb["error"].(string)
		ok := code == http.StatusBadRequest && eb["code"] == "invalid" && !strings.Contains(msg, "Go struct") &&
			!strings.Contains(msg, "Go value")
		for _, w := range tc.want {
			ok = ok && strings.Contains(msg, w)
		}
		if !ok {
			t.Errorf("%s: %d %v, want 400 invalid naming %q", tc.name, code, eb, tc.want)
		}
	}
	// Nothing of them was recorded or opened.
	var page ScansPage
	e.do(t, "GET", "/api/scans", "", &page)
	if len(page.Scans) != 0 {
		t.Errorf("the refused bodies recorded %d scans", len(page.Scans))
	}
	if code := e.do(t, "GET", "/api/batches/current", "", nil); code != http.StatusNotFound {
		t.Errorf("a refused open body opened a batch: %d", code)
	}
	// A byte order mark before the object is skipped.
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", "\uFEFF"+`{"contract": 77}`, &st); code != http.StatusCreated || st.Contract != 77 {
		t.Errorf("open with a BOM: %d %+v", code, st.Batch)
	}
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", "\uFEFF"+scanBody(valid, 0, st.ID), &res); code != http.StatusOK || res.Text != valid {
		t.Errorf("scan with a BOM: %d %s %q", code, res.Verdict, res.Error)
	}
}

// TestJSONBodyKeyCase: a key spelt otherwise than its field is 400
// naming the key and the field meant, nothing recorded. encoding/json
// matches keys to fields ignoring case, so {"Text": …} was judged and
// recorded as text, and {"Contract": 77} opened a batch of contract 77,
// though docs/local-api.md names the fields in lower case only.
func TestJSONBodyKeyCase(t *testing.T) {
	e := newBatchEnv(t)
	valid := e.sign(1, 77, 20)
	for _, tc := range []struct{ name, path, body, want string }{
		{"Text", "/api/scans", `{"Text": "` + valid + `"}`, `request body: unknown key "Text" (did you mean "text"?)`},
		{"WEIGHT_G", "/api/scans", `{"text": "` + valid + `", "WEIGHT_G": 20}`, `unknown key "WEIGHT_G" (did you mean "weight_g"?)`},
		{"a long s", "/api/scans", `{"text": "x", "ſource": "browser-wedge"}`, `unknown key "ſource" (did you mean "source"?)`},
		{"Contract", "/api/batches", `{"Contract": 77}`, `unknown key "Contract" (did you mean "contract"?)`},
	} {
		var eb map[string]any
		code := e.do(t, "POST", tc.path, tc.body, &eb)
		if msg, _ := eb["error"].(string); code != http.StatusBadRequest || eb["code"] != "invalid" || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 400 invalid saying %q", tc.name, code, eb, tc.want)
		}
	}
	var page ScansPage
	e.do(t, "GET", "/api/scans", "", &page)
	if len(page.Scans) != 0 {
		t.Errorf("the refused bodies recorded %d scans", len(page.Scans))
	}
	if code := e.do(t, "GET", "/api/batches/current", "", nil); code != http.StatusNotFound {
		t.Errorf("a refused open body opened a batch: %d", code)
	}
}
