package hubweb_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/hub/hubweb"
)

// TestSecurityHeaders: every answer of the regional pages, the error
// page included, forbids framing (also to browsers that do not read CSP's
// frame-ancestors), sniffing and cross-site referrers; under TLS it pins
// HTTPS (HSTS) as the counter's pages do.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, tlsOn := range []bool{false, true} {
		pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now: func() time.Time { return e.now }, TLS: tlsOn})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(pages.Handler())
		for _, path := range []string{"/login", "/static/app.css", "/lang?set=xx", "/alerts"} {
			res, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "same-origin"} {
				if h.Get(k) != want {
					t.Errorf("TLS %v, %s: %s %q, want %q", tlsOn, path, k, h.Get(k), want)
				}
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("TLS %v, %s: CSP %q", tlsOn, path, csp)
			}
			if hsts := h.Get("Strict-Transport-Security"); (hsts != "") != tlsOn {
				t.Errorf("TLS %v, %s: Strict-Transport-Security %q", tlsOn, path, hsts)
			}
		}
		ts.Close()
	}
}
