package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"markd/httpapi"
	"markd/mark"
)

// routeRule is who may use a route of the pages or the API behind them.
type routeRule struct {
	public  bool // no login needed
	supOnly bool // a supervisor's: refused to an operator
}

// routeRules has a row for every route the router has; a new route
// without a row fails TestEveryRouteWho, so its rule is decided, not
// inherited by accident.
var routeRules = map[string]routeRule{
	"GET /static/":             {public: true},
	"GET /favicon.ico":         {public: true},
	"GET /lang":                {public: true},
	"GET /login":               {public: true},
	"POST /login":              {public: true},
	"POST /logout":             {},
	"GET /{$}":                 {},
	"GET /operator/recent":     {},
	"GET /operator/live":       {},
	"GET /operator/batch/last": {},
	// Everyone's own devices; a supervisor's the others' too (their
	// revoke refused to an operator: TestDeviceRevoke).
	"GET /devices":              {},
	"POST /devices/{id}/revoke": {},

	"GET /review":                     {supOnly: true},
	"GET /review/export.csv":          {supOnly: true},
	"GET /review/days":                {supOnly: true},
	"GET /review/{id}":                {supOnly: true},
	"GET /review/{id}/frame.jpg":      {supOnly: true},
	"POST /review/{id}/confirm":       {supOnly: true},
	"POST /review/{id}/override":      {supOnly: true},
	"GET /review/batches":             {supOnly: true},
	"GET /review/batches/export.csv":  {supOnly: true},
	"GET /batches/{id}/receipt":       {},
	"GET /review/setaside":            {supOnly: true},
	"GET /review/setaside/export.csv": {supOnly: true},
	"POST /review/setaside/resend":    {supOnly: true},

	// The API behind the pages (httpapi): the operator's screen and the
	// cash-desk program use all of it; an operator's reads are limited to
	// this counter's today (httpapi.Scope, TestOperatorScope).
	"GET /healthz":                      {public: true},
	"GET /healthz/ready":                {public: true},
	"GET /healthz/live":                 {public: true},
	"GET /metrics":                      {public: true},
	"GET /api/scans":                    {},
	"GET /api/scans/{id}":               {},
	"GET /events":                       {},
	"POST /api/scans":                   {},
	"POST /api/batches":                 {},
	"GET /api/batches/current":          {},
	"GET /api/batches/{id}":             {},
	"POST /api/batches/{id}/expect":     {},
	"POST /api/batches/{id}/close":      {},
	"POST /api/batches/{id}/cancel":     {},
	"GET /api/batches/{id}/receipt.pdf": {},
}

// TestEveryRouteWho walks every route of the router (the pages' and the
// API's) and checks who gets through: without a login only the public
// ones; an operator is refused every supervisor route (403, nothing
// done) and let through the others; a state-changing request without the
// session's CSRF token is refused even to a supervisor.
func TestEveryRouteWho(t *testing.T) {
	e := newAPIEnv(t)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	patterns := slices.DeleteFunc(slices.Clone(e.srv.patterns), func(p string) bool { return p == "/" })
	patterns = append(patterns, httpapi.New(httpapi.Options{}).Routes()...)
	for _, p := range patterns {
		if _, ok := routeRules[p]; !ok {
			t.Errorf("route %q has no row in routeRules: decide who may use it", p)
		}
	}
	for p := range routeRules {
		if !slices.Contains(patterns, p) {
			t.Errorf("routeRules has %q, which the router does not", p)
		}
	}

	anon, op, sup := e.client(), e.client(), e.client()
	op.login(opName, opPass)
	sup.login(supName, supPass)
	for _, p := range patterns {
		rule := routeRules[p]
		method, path, _ := strings.Cut(p, " ")
		path = strings.NewReplacer("{$}", "", "{id}", "r1").Replace(path)
		if path == "/static/" {
			path = "/static/app.css"
		}
		t.Run(p, func(t *testing.T) {
			json := map[string]string{"Accept": "application/json"}
			code := status(t, anon, method, path, json)
			switch {
			case rule.public && code == http.StatusUnauthorized:
				t.Errorf("public route without login: %d", code)
			case !rule.public && code != http.StatusUnauthorized:
				t.Errorf("without login: %d, want 401", code)
			}
			if rule.public || p == "POST /logout" {
				return
			}
			code = status(t, op, method, path, map[string]string{"Accept": "application/json", "X-CSRF-Token": op.csrf})
			switch {
			case rule.supOnly && code != http.StatusForbidden:
				t.Errorf("operator: %d, want 403", code)
			case !rule.supOnly && (code == http.StatusForbidden || code == http.StatusUnauthorized):
				t.Errorf("operator refused (%d) a route of every role", code)
			}
			if method != http.MethodGet {
				if code := status(t, sup, method, path, json); code != http.StatusForbidden {
					t.Errorf("supervisor without the CSRF token: %d, want 403", code)
				}
			}
		})
	}
	// The operator's attempts and the token-less posts changed nothing.
	if audit, _ := e.db.AuditFor(context.Background(), "r1"); len(audit) != 0 {
		t.Fatalf("review actions recorded: %+v", audit)
	}
	// Logout is every role's, and needs the token too.
	if code := status(t, op, http.MethodPost, "/logout", nil); code != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token: %d, want 403", code)
	}
	if code := status(t, op, http.MethodPost, "/logout", map[string]string{"X-CSRF-Token": op.csrf}); code != http.StatusSeeOther {
		t.Fatalf("operator logout: %d, want 303", code)
	}
}

// status sends a request as c with an empty body and returns the status
// without reading the body (the live streams never end).
func status(t *testing.T, c *client, method, path string, hdr map[string]string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.e.ts.URL+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestReviewAnswersNotCached: what the supervisor pages and their exports
// show (names, scanned texts, customers' batches) is not kept in the
// browser's cache of a shared counter PC, where the next person at it
// could open it after a logout.
func TestReviewAnswersNotCached(t *testing.T) {
	e := newAPIEnv(t)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	sup := e.client()
	sup.login(supName, supPass)
	for _, path := range []string{"/review", "/review/export.csv", "/review/days", "/review/r1",
		"/review/batches", "/review/batches/export.csv", "/operator/recent"} {
		code, _, hdr := sup.do("GET", path, nil, nil)
		if code != http.StatusOK || !strings.Contains(hdr.Get("Cache-Control"), "no-store") {
			t.Errorf("%s: %d, Cache-Control %q; want 200 and no-store", path, code, hdr.Get("Cache-Control"))
		}
	}
	// A page with another status than 200 (an error, a refused action,
	// the login's refusal) keeps its headers too.
	code, _, hdr := sup.do("GET", "/review/no-such-record", nil, nil)
	if code != http.StatusNotFound || hdr.Get("Cache-Control") != "no-store" || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("error page: %d, headers %v", code, hdr)
	}
	fresh := e.client()
	if code := fresh.tryLogin(supName, "wrong password"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	code, _, hdr = fresh.do("POST", "/login", url.Values{"user": {supName}, "password": {"wrong"}, "csrf": {fresh.csrf}}, nil)
	if code != http.StatusUnauthorized || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("refused login: %d, headers %v", code, hdr)
	}
}
