package hubweb_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/hub/hubweb"
)

// hubPublic are the routes of the regional pages served without a login;
// every other route of the router needs one.
var hubPublic = map[string]bool{"GET /static/app.css": true, "GET /login": true, "POST /login": true, "GET /lang": true,
	"GET /": true} // a path no other route takes: the 404 page

// TestEveryRouteNeedsLogin walks every route the regional pages' router
// has: without a session a page is a redirect to the login and a POST is
// 401; with a session a POST without its CSRF token, or with it from
// another site's Origin, is 403.
func TestEveryRouteNeedsLogin(t *testing.T) {
	e := newEnv(t)
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{CheckRedirect: noFollow}
	user := &http.Client{Jar: jar, CheckRedirect: noFollow}
	res, err := user.Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res, err = user.PostForm(ts.URL+"/login", url.Values{"csrf": {string(csrfField.FindSubmatch(body)[1])},
		"user": {supName}, "password": {supPass}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()

	res, err = user.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatal("the fleet page has no form token")
	}
	csrf := string(m[1])

	do := func(c *http.Client, method, path string, hdr map[string]string) *http.Response {
		t.Helper()
		form := url.Values{"state": {"acknowledged"}}
		if hdr["Origin"] != "" {
			form.Set("csrf", csrf) // the right token: only the Origin is wrong
		}
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	n := 0
	for _, p := range pages.Patterns() {
		if hubPublic[p] {
			continue
		}
		n++
		method, path, _ := strings.Cut(p, " ")
		path = strings.NewReplacer("{$}", "", "{id}", "1").Replace(path)
		t.Run(p, func(t *testing.T) {
			res := do(anon, method, path, nil)
			if method == http.MethodGet {
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
					t.Errorf("without login: %d to %q, want 303 to the login", res.StatusCode, res.Header.Get("Location"))
				}
				return
			}
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("POST without login: %d, want 401", res.StatusCode)
			}
			if res := do(user, method, path, nil); res.StatusCode != http.StatusForbidden {
				t.Errorf("POST without the CSRF token: %d, want 403", res.StatusCode)
			}
			if res := do(user, method, path, map[string]string{"Origin": "http://evil.example"}); res.StatusCode != http.StatusForbidden {
				t.Errorf("POST from another site: %d, want 403", res.StatusCode)
			}
		})
	}
	if n < 10 {
		t.Fatalf("walked %d routes behind the login: the router lost its list", n)
	}
}
