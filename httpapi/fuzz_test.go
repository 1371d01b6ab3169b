package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"markd/internal/jsonkey"
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

// FuzzReadJSON feeds arbitrary bodies to readJSON, the reader of every
// JSON request body of the daemon's API: it refuses with mark.ErrInvalid,
// or every key it took is a field's name as spelt and the text it decoded
// is what the one key text holds for any other reader.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`{"text":"EPM1:AAAA"}`, "\ufeff{\"text\":\"x\"}", `{"text":"a","text":"b"}`, `{"text":"a","TEXT":"b"}`,
		`{"text":"x","weight_g":20,"batch":"b","source":"browser-wedge","length":5000}`, `{"contract":5}`, `{} {}`, `{"text":"\xff"}`,
		`{"text":"a","weight_g":1e3}`, `[]`, `"x"`, `{"text":null}`, `{"Text":"a"}`, `{"source":"","\u017fource":"x"}`,
		`{"Weight_G":5,"text":"a"}`, `{"text":"a","ſource":"x"}`, `{"text":"a","lengtH":5}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req ScanRequest
		err := readJSON([]byte(body), &req)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q: error %v is not mark.ErrInvalid", body, err)
			}
			return
		}
		var exact map[string]json.RawMessage
		if err := json.Unmarshal([]byte(strings.TrimPrefix(body, "\ufeff")), &exact); err != nil {
			t.Fatalf("%q: taken, but it is not one JSON object: %v", body, err)
		}
		var keys []string
		for k := range exact {
			switch k {
			case "text", "weight_g", "batch", "source", "length":
			default: // encoding/json takes "Text" as text
				t.Fatalf("%q: taken with the key %q, no field as spelt", body, k)
			}
			if jsonkey.Fold(k) == "TEXT" {
				keys = append(keys, k)
			}
		}
		switch {
		case len(keys) > 1:
			t.Fatalf("%q: taken with the keys %q, all text", body, keys)
		case len(keys) == 0 && req.Text != "":
			t.Fatalf("%q: decoded text %q from no key text", body, req.Text)
		case len(keys) == 1:
			var text *string
			if err := json.Unmarshal(exact[keys[0]], &text); err != nil || (text != nil && *text != req.Text) {
				t.Fatalf("%q: decoded text %q, but the key %s holds %s", body, req.Text, keys[0], exact[keys[0]])
			}
		}
	})
}
