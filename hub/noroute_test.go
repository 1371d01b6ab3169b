package hub

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A path under /v1/ that is no route, or a method its route does not
// take, is answered with the API's JSON error body (code, error, hint),
// as every other refusal of the collector, not the router's plain text.
func TestNoRouteAnswersInJSON(t *testing.T) {
	h := NewServer(nil, ServerOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, tt := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/v1/nothing", http.StatusNotFound, "not_found", ""},
		{"POST", "/v1/", http.StatusNotFound, "not_found", ""},
		{"DELETE", "/v1/upload", http.StatusMethodNotAllowed, "", "POST"},
		{"POST", "/v1/bundle", http.StatusMethodNotAllowed, "", "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q, want JSON: %s", ct, w.Body)
			}
			var body struct{ Code, Error, Hint string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not the JSON error: %v: %s", err, w.Body)
			}
			if body.Error == "" || body.Hint == "" || (tt.code != "" && body.Code != tt.code) {
				t.Errorf("error body %+v, want code %q with an error and a hint", body, tt.code)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}
