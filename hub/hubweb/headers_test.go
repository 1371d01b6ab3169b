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

// TestLoginFormTokenLastsTheBrowserSession: the login form's token is a
// browser-session cookie (no Max-Age, no Expires), as on the counter's
// pages, so a login page left open over lunch still logs in.
func TestLoginFormTokenLastsTheBrowserSession(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	found := false
	for _, ck := range res.Cookies() {
		if ck.Name != "markhub_login_csrf" {
			continue
		}
		found = true
		if ck.MaxAge != 0 || !ck.Expires.IsZero() {
			t.Errorf("login form cookie %q expires (Max-Age %d, Expires %v), want a browser-session cookie", ck.Raw, ck.MaxAge, ck.Expires)
		}
	}
	if !found {
		t.Fatalf("GET /login set no login form cookie: %v", res.Header["Set-Cookie"])
	}
}
