package httpapi

import (
	"net/http"
	"strings"
	"syscall"
	"testing"

	"markd/batch"
)

// TestOpenAPIRetryAfter: every 503 of docs/openapi/local-api.yaml says
// it comes with Retry-After (docs/local-api.md: "503 the store cannot
// write (with Retry-After: 5)"), and the server sends it on each: the
// file said nothing of the header, so a program generated from it never
// read it and retried in a tight loop.
func TestOpenAPIRetryAfter(t *testing.T) {
	doc := readOpenAPI(t)
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	bodies := map[string]string{"/api/scans": scanBody(e.sign(1, 77, 20), 0, ""), "/api/batches/{id}/expect": csvList(1)}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			r, ok := o["responses"].(map[string]any)["503"].(map[string]any)
			if !ok {
				continue
			}
			if ref, ok := r["$ref"].(string); ok {
				r = doc.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]
			}
			if h, _ := r["headers"].(map[string]any); h["Retry-After"] == nil {
				t.Errorf("%s %s: the 503 does not name Retry-After", strings.ToUpper(method), path)
			}
			if path == "/api/batches" { // one is open: a 409 before any write
				continue
			}
			e.db.FailWrite = func() error { return syscall.ENOSPC }
			req, _ := http.NewRequest(strings.ToUpper(method), e.ts.URL+strings.ReplaceAll(path, "{id}", st.ID), strings.NewReader(bodies[path]))
			resp, err := http.DefaultClient.Do(req)
			e.db.FailWrite = nil
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
				t.Errorf("%s %s with the store full: %d Retry-After %q, want 503 with 5", strings.ToUpper(method), path, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
	}
}
