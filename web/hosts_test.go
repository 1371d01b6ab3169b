package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestHostGuard: a request for a name that is not this counter's (DNS
// rebinding: a site's name pointed at 127.0.0.1) is refused before any
// page or API; addresses, localhost and configured names pass; HSTS only
// under TLS.
func TestHostGuard(t *testing.T) {
	for _, tls := range []bool{false, true} {
		e := newEnv(t, func(o *Options) { o.Hosts = []string{"kassa-1.post.local"}; o.TLS = tls })
		for _, tt := range []struct {
			host string
			code int
		}{
			{"", http.StatusOK}, // the test server's own 127.0.0.1:port
			{"localhost:8080", http.StatusOK},
			{"[::1]:8080", http.StatusOK},
			{"KASSA-1.post.local:8080", http.StatusOK},
			{"evil.example:8080", http.StatusMisdirectedRequest},
			{"127.0.0.1.evil.example", http.StatusMisdirectedRequest},
		} {
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/healthz", nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("tls=%v host %q: %d, want %d", tls, tt.host, resp.StatusCode, tt.code)
			}
			if hsts := resp.Header.Get("Strict-Transport-Security"); (hsts != "") != (tls && tt.code == 200) {
				t.Fatalf("tls=%v host %q: HSTS %q", tls, tt.host, hsts)
			}
			// The refusal names the Host it was given (an attacker's
			// name): it too must not be sniffed as HTML or framed.
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" ||
				!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Fatalf("tls=%v host %q: %d without the security headers: %v", tls, tt.host, resp.StatusCode, resp.Header)
			}
		}
	}
}
