package web

import (
	"net/http"
	"strings"
	"testing"

	"markd/httpapi"
)

// TestAPIScopeByRole: the pages give the API the session's role, so an
// operator's session reads only today's scans at this counter and a
// supervisor's the review data too.
func TestAPIScopeByRole(t *testing.T) {
	e := newEnvAPI(t, nil, func(e *env) http.Handler {
		return httpapi.New(httpapi.Options{Store: e.db, Location: e.srv.opt.Location, Counter: "A", Now: e.clock.Now}).Handler()
	})
	op, sup := e.client(), e.client()
	op.login(opName, opPass)
	sup.login(supName, supPass)
	json := map[string]string{"Accept": "application/json"}
	tests := []struct {
		who  *client
		path string
		code int
	}{
		{op, "/api/scans", http.StatusOK},
		{op, "/api/scans?verdict=REJECT", http.StatusForbidden},
		{op, "/api/scans?from=2020-01-01", http.StatusForbidden},
		{op, "/api/scans?counter=B", http.StatusForbidden},
		{sup, "/api/scans?verdict=REJECT", http.StatusOK},
		{sup, "/api/scans?from=2020-01-01", http.StatusOK},
		{sup, "/api/scans?counter=B", http.StatusOK},
	}
	for _, tc := range tests {
		code, body, hdr := tc.who.do("GET", tc.path, nil, json)
		if code != tc.code {
			t.Errorf("%s GET %s: %d, want %d (%s)", tc.who.csrfOwner(), tc.path, code, tc.code, body)
		}
		if code == http.StatusForbidden && (!strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(body, "supervisor")) {
			t.Errorf("GET %s: 403 answer %q (%s), want JSON saying it is for supervisors", tc.path, body, hdr.Get("Content-Type"))
		}
	}
}
