package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestDaemonAPIBehindLogin checks the wiring of markd run: the JSON API and
// the event stream need a session, monitoring paths do not, and a session
// from the login form opens the API.
func TestDaemonAPIBehindLogin(t *testing.T) {
	d := startDaemon(t, map[string][2]string{"ivan": {"operator", "operator-pass"}})
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", d.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		return res.StatusCode, string(b)
	}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		path string
		want int
	}{
		{"/healthz", 200},
		{"/metrics", 200},
		{"/api/scans", 401},
		{"/events", 401},
		{"/operator/live", 401},
		{"/review", 401},
	}
	for _, tc := range tests {
		if code, _ := get(anon, tc.path); code != tc.want {
			t.Errorf("anonymous GET %s: %d, want %d", tc.path, code, tc.want)
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: anon.CheckRedirect}
	_, page := get(c, "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page has no form token:\n%s", page)
	}
	res, err := c.PostForm(d.URL+"/login", url.Values{"user": {"ivan"}, "password": {"operator-pass"}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	d.scan(t, vector(t, "tracking barcode"))
	d.waitOutput(t, `"NOT_A_MARK"`) // printed after the commit
	if code, body := get(c, "/api/scans"); code != 200 || !strings.Contains(body, "NOT_A_MARK") {
		t.Fatalf("GET /api/scans with a session: %d %s", code, body)
	}
	if code, _ := get(c, "/review"); code != http.StatusForbidden {
		t.Fatalf("operator GET /review: %d, want 403", code)
	}
}
