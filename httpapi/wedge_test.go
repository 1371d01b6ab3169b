package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPostScanSource: the operator screen's wedge names its source, which
// the record keeps; any other name is refused, and so is a source from a
// program's token (its source is its token name).
func TestPostScanSource(t *testing.T) {
	e := newBatchEnv(t)
	withToken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.srv.Handler().ServeHTTP(w, r.WithContext(WithActor(r.Context(), "api:till")))
	}))
	t.Cleanup(withToken.Close)
	body := func(text, source string) string {
		b, _ := json.Marshal(ScanRequest{Text: text, Source: source})
		return string(b)
	}
	tests := []struct {
		name       string
		ts         *httptest.Server
		source     string
		wantCode   int
		wantSource string
	}{
		{"browser wedge", e.ts, SourceBrowserWedge, 200, SourceBrowserWedge},
		{"browser, no source", e.ts, "", 200, "api"},
		{"unknown source", e.ts, "serial:front", 400, ""},
		{"token, no source", withToken, "", 200, "api:till"},
		{"token naming a source", withToken, SourceBrowserWedge, 400, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := e.ts
			e.ts = tt.ts
			defer func() { e.ts = old }()
			var res ScanResult
			code := e.do(t, "POST", "/api/scans", body(e.sign(uint64(300+i), 77, 20), tt.source), &res)
			if code != tt.wantCode {
				t.Fatalf("%d %+v, want %d", code, res, tt.wantCode)
			}
			if code != 200 {
				if res.Error == "" {
					t.Errorf("refusal without an error text: %+v", res)
				}
				return
			}
			rec, err := e.db.Get(context.Background(), res.ID)
			if err != nil || rec.Source != tt.wantSource {
				t.Fatalf("stored record source %q (%v), want %q", rec.Source, err, tt.wantSource)
			}
		})
	}
}
