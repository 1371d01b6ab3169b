package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"markd/mark"
)

// FuzzPostScan sends arbitrary bodies to POST /api/scans: the answer is
// always JSON, never a 5xx from a bad body, and a 200 always carries a
// stored record (an id) or a NOT_A_MARK of a blank text.
func FuzzPostScan(f *testing.F) {
	e := newBatchEnv(f)
	for _, s := range []string{`{"text":"EPM1:AAAA"}`, `{"text":"hello","weight_g":20}`, `{"text":"x","batch":"b"}`,
		`{"text":" "}`, `{}`, `[]`, `{"text":1}`, `{"text":"x","weight_g":70000}`, "", `{"text":"x"}{"text":"y"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var res ScanResult
		code, raw := e.doRaw(t, "POST", "/api/scans", body)
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("%q: %d answer is not JSON: %q", body, code, raw)
		}
		switch code {
		case http.StatusOK:
			if res.ID == "" && res.Verdict != mark.NotAMark {
				t.Fatalf("%q: 200 without a stored record: %+v", body, res)
			}
		case http.StatusBadRequest, http.StatusConflict:
		default:
			t.Fatalf("%q: status %d: %s", body, code, raw)
		}
	})
}
