package hubweb_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// TestUnknownPathIsAPage: a browser on a path no route of the regional
// pages takes gets the error page (404, in the layout: language, title, a
// way back), not the router's plain-text "404 page not found"; without a
// login too, and then without a new login form token: the browser's own
// read of /favicon.ico must not void the login form being filled in.
func TestUnknownPathIsAPage(t *testing.T) {
	e := newEnv(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := c.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	_, page := get("/login")
	if res, body := get("/favicon.ico"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, `<html lang="ru"`) ||
		res.Header.Get("Set-Cookie") != "" {
		t.Errorf("without a login: %d, cookies %q\n%s", res.StatusCode, res.Header.Values("Set-Cookie"), body)
	}
	res, err := c.PostForm(e.ts.URL+"/login", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]},
		"user": {supName}, "password": {supPass}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	res, body := get("/no/such/page")
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(body, `<html lang="ru"`) || !strings.Contains(body, "/no/such/page") {
		t.Errorf("logged in: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}
