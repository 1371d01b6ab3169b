package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/httpapi"
	"markd/mark"
	"markd/store"
)

// The cases of the audit of the pages' HTTP surface that held and had no
// test of their own (2026-12, worktree auditweb): a hostile page in the
// same browser, a stray client on the network, a curious operator.

// TestSecurityHeadersEveryRoute: every route of the pages and of the API
// behind them, for each caller (none, operator, supervisor, the program's
// token), answers with the headers that keep a page of another site from
// framing or sniffing it, whatever the status (refusals and errors
// included); the receipt, which has its own CSP, keeps frame-ancestors.
func TestSecurityHeadersEveryRoute(t *testing.T) {
	e := newAPIEnv(t)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	id := e.openBatch(t, 1004417)
	if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusOK {
		t.Fatalf("close: %d %s", a.code, a.body)
	}
	anon, op, sup := e.client(), e.client(), e.client()
	op.login(opName, opPass)
	sup.login(supName, supPass)
	patterns := slices.DeleteFunc(slices.Clone(e.srv.patterns), func(p string) bool { return p == "/" })
	patterns = append(patterns, httpapi.New(httpapi.Options{}).Routes()...)
	patterns = append(patterns, "GET /no-such-page", "GET /api/no-such-route", "DELETE /api/scans")
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		path = strings.NewReplacer("{$}", "", "/review/{id}", "/review/r1", "{id}", id).Replace(path)
		if path == "/static/" {
			path = "/static/app.css"
		}
		if path == "/operator/live" || path == "/events" {
			continue // streams: the same middleware, read by TestOperatorLive
		}
		for _, who := range []struct {
			name string
			c    *client
			hdr  map[string]string
		}{
			{"nobody", anon, nil},
			{"operator", op, map[string]string{"X-CSRF-Token": op.csrf}},
			{"supervisor", sup, map[string]string{"X-CSRF-Token": sup.csrf}},
			{"token", anon, map[string]string{"Authorization": "Bearer " + e.token}},
		} {
			code, _, h := who.c.do(method, path, nil, who.hdr)
			csp := h.Get("Content-Security-Policy")
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
				!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src") {
				t.Errorf("%s as %s: %d without the security headers: nosniff %q, XFO %q, CSP %q",
					p, who.name, code, h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"), csp)
			}
		}
	}
}

// TestSessionAttacks: a session cookie the attacker chose before the login
// is not the session after it (fixation); the token of the cash-desk
// program opens no page of people and acts on none; a request from a
// page of another site is refused even with the right form token when its
// Origin is not this server ("null" from a sandboxed frame, another port,
// a longer name).
func TestSessionAttacks(t *testing.T) {
	e := newAPIEnv(t)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	base, _ := url.Parse(e.ts.URL)

	// Fixation: the planted cookie is replaced and logs nobody in.
	c := e.client()
	planted := "attacker-chosen-session-value"
	c.hc.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	c.login(supName, supPass)
	for _, ck := range c.hc.Jar.Cookies(base) {
		if ck.Name == sessionCookie && ck.Value == planted {
			t.Fatalf("the session kept the planted cookie")
		}
	}
	other := e.client()
	other.hc.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	if code, _, _ := other.do("GET", "/review", nil, map[string]string{"Accept": "*/*"}); code != http.StatusUnauthorized {
		t.Fatalf("the planted cookie after the victim's login: %d, want 401", code)
	}

	// The program's token is for the API only.
	tok := map[string]string{"Authorization": "Bearer " + e.token, "Accept": "*/*"}
	for _, p := range []string{"GET /review", "GET /review/export.csv", "GET /review/batches", "GET /review/setaside",
		"POST /review/r1/override", "POST /review/r1/confirm", "POST /review/setaside/resend", "POST /logout"} {
		method, path, _ := strings.Cut(p, " ")
		if code, _, _ := e.client().do(method, path, url.Values{"note": {"by token"}, "all": {"1"}}, tok); code != http.StatusUnauthorized {
			t.Errorf("%s with the program's token: %d, want 401", p, code)
		}
	}

	// Foreign origins, with the right token in the form.
	for _, origin := range []string{"null", "http://" + base.Hostname() + ":1", "http://" + base.Host + ".evil.example", "http://evil.example"} {
		code, _, _ := c.do("POST", "/review/r1/override", url.Values{"csrf": {c.csrf}, "note": {"x"}}, map[string]string{"Origin": origin})
		if code != http.StatusForbidden {
			t.Errorf("Origin %q with the form token: %d, want 403", origin, code)
		}
		if code, _, _ := c.do("POST", "/api/batches", nil, map[string]string{"Origin": origin, "X-CSRF-Token": c.csrf}); code != http.StatusForbidden {
			t.Errorf("API POST, Origin %q with the token: %d, want 403", origin, code)
		}
	}
	if a, _ := e.db.AuditFor(context.Background(), "r1"); len(a) != 0 {
		t.Fatalf("acted on: %+v", a)
	}
	if a := e.call(t, "GET", "/api/batches/current", "", nil); a.code != http.StatusNotFound {
		t.Fatalf("a batch was opened: %d %s", a.code, a.body)
	}
}

// TestLoginLockout: failed logins cannot lock a supervisor out for good.
// A page of another site posting to /login carries no form cookie
// (SameSite=Strict) and is refused before it counts; a stray client at
// another address that exhausts the supervisor's limit (and its own
// address's) does not stop the supervisor at the counter; and the
// supervisor's own limit ends with its minute.
func TestLoginLockout(t *testing.T) {
	e := newEnv(t, nil) // LoginLimit 3 per minute
	h := e.srv.Handler(http.NotFoundHandler())
	login := func(addr, pass string, withCookie bool) int {
		t.Helper()
		rec := httptest.NewRecorder()
		form := url.Values{"user": {supName}, "password": {pass}}
		if withCookie {
			form.Set("csrf", "form-token")
		}
		req := httptest.NewRequest("POST", "http://127.0.0.1/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if withCookie {
			req.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: "form-token"})
		}
		req.RemoteAddr = addr
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	const counter, stray = "127.0.0.1:50000", "192.168.1.66:40000"
	for i := range 20 { // a hostile page's posts: no form cookie
		if code := login(counter, "guess", false); code != http.StatusForbidden {
			t.Fatalf("cross-site post %d: %d, want 403", i, code)
		}
	}
	for range 20 {
		login(stray, "guess", true)
	}
	if code := login(stray, supPass, true); code != http.StatusTooManyRequests {
		t.Fatalf("the stray client, right password after its guesses: %d, want 429", code)
	}
	if code := login(counter, supPass, true); code != http.StatusSeeOther {
		t.Fatalf("the supervisor at the counter after the stray client's guesses: %d, want 303", code)
	}
	for range 3 {
		login(counter, "typo", true)
	}
	if code := login(counter, supPass, true); code != http.StatusTooManyRequests {
		t.Fatalf("after 3 typos: %d, want 429", code)
	}
	e.clock.Add(61 * time.Second)
	if code := login(counter, supPass, true); code != http.StatusSeeOther {
		t.Fatalf("a minute later: %d, want 303", code)
	}
}

// TestSetAsideCSVFormulas: the set-aside CSV carries the collector's
// answer (field, reason: text of another system) and the records'
// counters; a cell starting with a formula character is defused there as
// in the other exports.
func TestSetAsideCSVFormulas(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.rejected("sa-f", 41, mark.ReasonUnderpaid)
	if err := e.db.RefuseUpload(ctx, id, store.Refusal{Status: 400, Field: "+records[0]",
		Reason: `=HYPERLINK("http://evil.example","click")`}); err != nil {
		t.Fatal(err)
	}
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/review/setaside/export.csv")
	if code != http.StatusOK {
		t.Fatalf("CSV: %d", code)
	}
	if !strings.Contains(body, `'+records[0]`) || !strings.Contains(body, `"'=HYPERLINK(""http://evil.example"",""click"")"`) {
		t.Fatalf("formulas not defused:\n%s", body)
	}
	for _, cell := range []string{",=HYPERLINK", ",\"=HYPERLINK", ",+records"} {
		if strings.Contains(body, cell) {
			t.Fatalf("a cell starts with a formula (%q):\n%s", cell, body)
		}
	}
}

// TestStoredMarkupOnBatchPages: markup in a batch's counter and operator
// names, in the name of who closed it, and in the collector's answer is
// text on the pages the browser test of stored texts does not open (the
// batch list, its filter, the printable receipt, the set-aside page).
func TestStoredMarkupOnBatchPages(t *testing.T) {
	e, _ := batchEnv(t)
	ctx := context.Background()
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	b, err := e.db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "Z" + evil, Operator: evil})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.opt.Batches.Close(ctx, b.ID, evil); err != nil {
		t.Fatal(err)
	}
	id := e.rejected("sa-x", 51, mark.ReasonUnderpaid)
	if err := e.db.RefuseUpload(ctx, id, store.Refusal{Status: 400, Field: evil, Reason: evil}); err != nil {
		t.Fatal(err)
	}
	sup := e.client()
	sup.login(supName, supPass)
	for _, p := range []string{"/review/batches", "/review/batches?counter=" + url.QueryEscape("Z"+evil),
		"/batches/" + b.ID + "/receipt", "/review/setaside"} {
		code, body := sup.get(p)
		if code != http.StatusOK || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: %d, the name is not shown escaped", p, code)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s: stored markup is markup:\n%s", p, snippet(body, "alert"))
		}
	}
}

// TestPathTraversal: no route that names a file or a record reads outside
// its place: the camera snapshots (a file per record id in
// web.snapshots_dir, read only for a record that exists), the embedded
// static files, the receipts and the API's batches.
func TestPathTraversal(t *testing.T) {
	dir := t.TempDir()
	snaps := filepath.Join(dir, "snapshots")
	if err := os.Mkdir(snaps, 0o700); err != nil {
		t.Fatal(err)
	}
	const secret = "SECRET-FILE-CONTENT"
	for _, p := range []string{filepath.Join(dir, "secret.jpg"), filepath.Join(dir, "secret")} {
		if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, func(o *Options) { o.SnapshotsDir = snaps })
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	sup := e.client()
	sup.login(supName, supPass)
	for _, p := range []string{
		"/review/..%2Fsecret/frame.jpg", "/review/..%2F..%2Fsecret/frame.jpg", "/review/%2E%2E%2Fsecret/frame.jpg",
		"/review/r1%2F..%2F..%2Fsecret/frame.jpg", "/review/..%5Csecret/frame.jpg",
		"/static/..%2Fweb.go", "/static/%2e%2e/web.go", "/static/../../go.mod", "/static/templates%2Flogin.html",
		"/batches/..%2F..%2Fsecret/receipt", "/api/batches/..%2Fsecret/receipt.pdf", "/api/scans/..%2Fsecret",
	} {
		code, body, _ := sup.do("GET", p, nil, nil)
		if code == http.StatusOK || strings.Contains(body, secret) || strings.Contains(body, "package web") {
			t.Errorf("%s: %d, read outside its place:\n%.200s", p, code, body)
		}
	}
}
