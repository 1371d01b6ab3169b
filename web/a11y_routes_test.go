package web

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// notPages are the routes of the router whose answers are not pages: no
// accessibility check applies to them. A route whose answer is an HTML
// page must instead be opened by an a11yPage of some browser test (path
// or via); TestEveryPageRouteChecked holds both lists to the router.
var notPages = map[string]string{
	"GET /static/":                    "style sheet and scripts",
	"GET /favicon.ico":                "204, no body",
	"GET /lang":                       "303 back to the page the language was chosen on",
	"POST /logout":                    "303 to the login page",
	"GET /operator/recent":            "JSON for the operator screen's script",
	"GET /operator/live":              "event stream for the operator screen's script",
	"GET /operator/batch/last":        "JSON for the operator screen's batch panel",
	"GET /review/export.csv":          "CSV download",
	"GET /review/{id}/frame.jpg":      "JPEG image, shown on the review detail page",
	"GET /review/batches/export.csv":  "CSV download",
	"GET /review/setaside/export.csv": "CSV download",
	"POST /review/{id}/confirm":       "303 to the detail page with its notice (review-detail-confirmed); a refusal is the detail page as the override's (review-detail-refused)",
	"POST /review/setaside/resend":    "303 back to the set-aside page (checked after a resend: set-aside-sent); a refusal is the error page",
	"POST /devices/{id}/revoke":       "303 back to the devices page (checked after a revoke: devices-revoked); a refusal is the error page",
}

// patternOf is the route of the router that takes method path ("" when
// none does).
func (s *Server) patternOf(method, path string) string {
	req := httptest.NewRequest(method, path, nil)
	_, pattern := s.mux.Handler(req)
	return pattern
}

// TestEveryPageRouteChecked: every route the router registers is either
// opened by an a11yPage of a browser test (its path, or the via of a
// state a form's POST leads to) and so held to WCAG 2.1 AA at 1024×768
// and 200 % zoom by checkA11y, or listed in notPages; a notPages route
// that answers a browser with an HTML page fails. So a new page cannot
// skip the accessibility check.
func TestEveryPageRouteChecked(t *testing.T) {
	e, _ := batchEnv(t)
	e.a11yData()
	checked := map[string][]string{}
	lits, err := browsertest.PageLits(".", "a11yPage")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lits {
		pat := e.srv.patternOf(http.MethodGet, p.Path)
		if pat == "" {
			t.Errorf("%s: a11yPage %q: no route takes GET %s", p.Pos, p.Name, p.Path)
		}
		checked[pat] = append(checked[pat], p.Name)
		if p.Via != "" {
			if !slices.Contains(e.srv.patterns, p.Via) {
				t.Errorf("%s: a11yPage %q: via %q is no route of the router", p.Pos, p.Name, p.Via)
			}
			checked[p.Via] = append(checked[p.Via], p.Name)
		}
	}
	if len(checked) < 5 {
		t.Fatalf("found a11yPage literals for %d routes only: the scan of the test files lost them", len(checked))
	}
	for _, pat := range e.srv.patterns {
		_, exempt := notPages[pat]
		switch names := checked[pat]; {
		case exempt && len(names) > 0:
			t.Errorf("route %q is in notPages but the browser tests open it as a page (%v): drop it from notPages", pat, names)
		case !exempt && len(names) == 0:
			t.Errorf("route %q is not held to WCAG 2.1 AA: add an a11yPage that opens it (a browser test calling checkA11y), "+
				"or, when its answer is not a page, a line in notPages saying what it is", pat)
		}
	}
	for pat := range notPages {
		if !slices.Contains(e.srv.patterns, pat) {
			t.Errorf("notPages has %q, which the router does not", pat)
		}
	}
	// What notPages says holds: none of them answers a browser with a page
	// (an error answer is the error page, checked as such).
	sup := e.client()
	sup.login(supName, supPass)
	exempt := slices.Sorted(maps.Keys(notPages))
	exempt = slices.DeleteFunc(exempt, func(p string) bool { return p == "POST /logout" }) // would end the session
	exempt = append(exempt, "POST /logout")
	for _, pat := range exempt {
		method, path, _ := strings.Cut(pat, " ")
		path = strings.NewReplacer("{id}", "x-rej").Replace(path)
		if path == "/static/" {
			path = "/static/app.css"
		}
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, method, e.ts.URL+path, strings.NewReader("csrf="+sup.csrf))
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := sup.hc.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		res.Body.Close()
		cancel()
		if res.StatusCode < 300 && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s is in notPages, but answers a browser %d with an HTML page: give it an a11yPage instead", pat, res.StatusCode)
		}
	}
}

// checkVia fails t unless the page the browser shows now is the answer of
// p.via: its address is a path that route takes.
func (e *env) checkVia(t *testing.T, ctx context.Context, p a11yPage) {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	method, _, _ := strings.Cut(p.via, " ")
	if got := e.srv.patternOf(method, loc); got != p.via {
		t.Errorf("%s: the page shown is at %s, which %q does not take (route %q)", p.name, loc, p.via, got)
	}
}
