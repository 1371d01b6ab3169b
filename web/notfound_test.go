package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestUnknownPathIsAPage: a person's browser, logged in, on a path no
// route of the pages or of the real API takes gets the error page (404,
// HTML in the page's layout: language, title, a way back), not the
// router's plain-text "404 page not found" that no screen reader can
// place; a program still gets the API's own answer.
func TestUnknownPathIsAPage(t *testing.T) {
	e := newAPIEnv(t)
	sup := e.client()
	sup.login(supName, supPass)
	code, body, hdr := sup.do("GET", "/no/such/page", nil, nil)
	if code != http.StatusNotFound || hdr.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(body, `<html lang="ru"`) || !strings.Contains(body, `id="back"`) || strings.Contains(body, "404 page not found") {
		t.Errorf("browser on an unknown path: %d %q\n%s", code, hdr.Get("Content-Type"), body)
	}
	code, body, hdr = sup.do("GET", "/api/no-such", nil, map[string]string{"Accept": "application/json"})
	if code != http.StatusNotFound || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("API client on an unknown path: %d %q %s", code, hdr.Get("Content-Type"), body)
	}
	code, _, hdr = sup.do("GET", "/healthz", nil, nil)
	if code != http.StatusOK || strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Errorf("a browser on /healthz: %d %q, want the API's answer", code, hdr.Get("Content-Type"))
	}
}
