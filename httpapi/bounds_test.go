package httpapi

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
)

// TestRequestNumberBounds: every whole number a program sends in a JSON
// body of the local API (a scan, the opening of a batch) has its bounds
// in docs/openapi/local-api.yaml, and the server holds to them: it takes
// the smallest and the largest, and refuses one past either with 400
// naming the field. A scan's length had no upper bound (length
// 9223372036854775807 was recorded as a "line of 9223372036854775807
// bytes").
func TestRequestNumberBounds(t *testing.T) {
	doc := readOpenAPI(t)
	openBody := doc.Paths["/api/batches"]["post"].(map[string]any)["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	bodies := []struct {
		path   string
		schema map[string]any
		base   map[string]any // the other fields of a body the server takes
	}{
		{"/api/scans", doc.Components.Schemas["ScanRequest"], map[string]any{"text": "not a mark"}},
		{"/api/batches", openBody, map[string]any{}},
	}
	e := newBatchEnv(t)
	for _, body := range bodies {
		props := body.schema["properties"].(map[string]any)
		for field, p := range props {
			p := p.(map[string]any)
			if p["type"] != "integer" {
				continue
			}
			lo, hi := bound(p["minimum"]), bound(p["maximum"])
			if lo == nil || hi == nil {
				t.Errorf("%s %s: minimum %v, maximum %v in the OpenAPI file: both wanted", body.path, field, p["minimum"], p["maximum"])
				continue
			}
			one := big.NewInt(1)
			for _, tc := range []struct {
				v  *big.Int
				ok bool
			}{{lo, true}, {hi, true}, {new(big.Int).Sub(lo, one), false}, {new(big.Int).Add(hi, one), false}} {
				req := map[string]any{}
				for k, v := range body.base {
					req[k] = v
				}
				req[field] = json.Number(tc.v.String())
				if field == "length" && tc.ok && tc.v.Sign() > 0 {
					req["text"] = "x" // a text the length is above
				}
				raw, _ := json.Marshal(req)
				var ans map[string]any
				code := e.do(t, "POST", body.path, string(raw), &ans)
				if code == http.StatusCreated { // an opened batch: end it for the next
					e.do(t, "POST", fmt.Sprintf("/api/batches/%v/cancel", ans["id"]), "", nil)
				}
				switch {
				case tc.ok && code >= 400:
					t.Errorf("%s %s: %s refused (%d %v); within the documented %v..%v", body.path, field, raw, code, ans, lo, hi)
				case !tc.ok && (code != http.StatusBadRequest || !strings.HasPrefix(fmt.Sprint(ans["error"]), "request body: "+field+":") &&
					!strings.HasPrefix(fmt.Sprint(ans["error"]), field+" ")):
					t.Errorf("%s %s: %s answered %d %v; want 400 naming %s (documented %v..%v)", body.path, field, raw, code, ans, field, lo, hi)
				}
			}
		}
	}
}

// bound reads a minimum or maximum of the OpenAPI file; nil when absent.
func bound(v any) *big.Int {
	if v == nil {
		return nil
	}
	n, ok := new(big.Int).SetString(fmt.Sprint(v), 10)
	if !ok {
		return nil
	}
	return n
}
