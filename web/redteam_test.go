package web

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// The red team's pass over the counter's pages and local API (26th stop,
// docs/notes/trust-counter.md): the cases that held
// and had no test of their own, and the fixes' tests that are not in a
// file of their own.

// TestPersonalDataNotCached: every answer that carries scans, names or a
// camera frame to a browser is Cache-Control: no-store, so it is not kept
// in the browser's disk cache of a shared counter PC after the logout:
// the camera frame (it was "private, max-age=3600": an envelope's
// addresses for an hour) and the API's JSON read with a session or a
// token (it had none).
func TestPersonalDataNotCached(t *testing.T) {
	e := newAPIEnv(t)
	e.insert(mark.Record{ID: "rf", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:rf", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(7),
		Frame: []byte("\xff\xd8\xff\xe0 a frame")})
	id := e.openBatch(t, 1004417)
	sup := e.client()
	sup.login(supName, supPass)
	for _, p := range []string{"/review/rf/frame.jpg", "/api/scans", "/api/scans/rf", "/api/batches/current",
		"/api/batches/" + id, "/api/no-such-route"} {
		for _, who := range []struct {
			name string
			hdr  map[string]string
		}{{"session", map[string]string{"Accept": "application/json"}}, {"token", map[string]string{"Authorization": "Bearer " + e.token}}} {
			if who.name == "token" && strings.HasPrefix(p, "/review") {
				continue // the pages are not the program's
			}
			code, _, h := sup.do("GET", p, nil, who.hdr)
			if code == http.StatusUnauthorized || h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s with a %s: %d, Cache-Control %q; want no-store", p, who.name, code, h.Get("Cache-Control"))
			}
		}
	}
}

// TestLoginLimitNotSplitByForwardedHeaders: the failed-login limits count
// the connection's address; X-Forwarded-For, X-Real-IP and Forwarded
// (the counter sits behind no proxy) do not make a guesser many clients.
func TestLoginLimitNotSplitByForwardedHeaders(t *testing.T) {
	e := newEnv(t, nil) // LoginLimit 3 a minute
	c := e.client()
	for i := range 6 {
		c.get("/login")
		addr := "10.9.8." + string(rune('1'+i))
		c.do("POST", "/login", url.Values{"user": {supName}, "password": {"guess"}, "csrf": {c.csrf}},
			map[string]string{"X-Forwarded-For": addr, "X-Real-IP": addr, "Forwarded": "for=" + addr})
	}
	c.get("/login")
	code, _, _ := c.do("POST", "/login", url.Values{"user": {supName}, "password": {supPass}, "csrf": {c.csrf}},
		map[string]string{"X-Forwarded-For": "10.9.9.9"})
	if code != http.StatusTooManyRequests {
		t.Fatalf("the right password after 6 guesses under 6 forwarded addresses: %d, want 429", code)
	}
}

// TestLoginNextStaysHere: the login's ?next= (and /lang's) leads only to a
// path of this server, however it is spelt.
func TestLoginNextStaysHere(t *testing.T) {
	e := newEnv(t, nil)
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "/%5Cevil.example",
		"javascript:alert(1)", "/%2F%2Fevil.example", "\t//evil.example", "/\r\nSet-Cookie: x=1", "https:evil.example",
		"/review\x00", "data:text/html,<script>alert(1)</script>"} {
		c := e.client()
		c.do("GET", "/login?next="+url.QueryEscape(next), nil, nil)
		code, _, h := c.do("POST", "/login?next="+url.QueryEscape(next), url.Values{"user": {supName}, "password": {supPass},
			"csrf": {c.csrf}, "next": {next}}, nil)
		loc := h.Get("Location")
		u, err := url.Parse(loc)
		if code != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") ||
			strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) || h.Get("Set-Cookie") == "x=1" {
			t.Errorf("next %q: %d to %q", next, code, loc)
		}
		_, _, h = c.do("GET", "/lang?set=en&next="+url.QueryEscape(next), nil, nil)
		if loc := h.Get("Location"); strings.HasPrefix(loc, "//") || strings.Contains(loc, ":") || !strings.HasPrefix(loc, "/") {
			t.Errorf("/lang next %q: to %q", next, loc)
		}
	}
}

// TestNoStateChangeByGet: a route that changes something takes only POST:
// the same request as a GET (a link, an <img> of another page), a HEAD,
// or a GET with a method-override header changes nothing.
func TestNoStateChangeByGet(t *testing.T) {
	e := newAPIEnv(t)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	sup := e.client()
	sup.login(supName, supPass)
	q := "?note=x&csrf=" + url.QueryEscape(sup.csrf) + "&all=1"
	for _, p := range []string{"/review/r1/override", "/review/r1/confirm", "/review/setaside/resend", "/logout",
		"/api/batches", "/api/scans"} {
		for _, m := range []string{"GET", "HEAD"} {
			code, _, _ := sup.do(m, p+q, nil, map[string]string{"X-HTTP-Method-Override": "POST", "X-Method-Override": "POST",
				"X-CSRF-Token": sup.csrf, "Accept": "application/json"})
			if code < 400 && p != "/api/scans" { // GET /api/scans is the list, a read
				t.Errorf("%s %s: %d", m, p, code)
			}
		}
	}
	if a, _ := e.db.AuditFor(context.Background(), "r1"); len(a) != 0 {
		t.Fatalf("acted on by a GET: %+v", a)
	}
	if a := e.call(t, "GET", "/api/batches/current", "", nil); a.code != http.StatusNotFound {
		t.Fatalf("a batch opened by a GET: %d %s", a.code, a.body)
	}
	if code, _ := sup.get("/review"); code != http.StatusOK {
		t.Fatalf("logged out by a GET: %d", code)
	}
}

// TestReceiptNameNotInjected: the receipt's file name in
// Content-Disposition is a batch's id only: a path with quotes, CR LF or
// a header of its own names no batch and sets no header.
func TestReceiptNameNotInjected(t *testing.T) {
	e := newAPIEnv(t)
	for _, id := range []string{`x";filename="evil.exe`, "x\r\nSet-Cookie: a=1", "x%0d%0aSet-Cookie:%20a=1", `..\..\evil`} {
		code, _, h := e.client().do("GET", "/api/batches/"+url.PathEscape(id)+"/receipt.pdf", nil,
			map[string]string{"Authorization": "Bearer " + e.token})
		if code != http.StatusNotFound || h.Get("Content-Disposition") != "" || h.Get("Set-Cookie") != "" {
			t.Errorf("receipt of %q: %d, Content-Disposition %q, Set-Cookie %q", id, code, h.Get("Content-Disposition"), h.Get("Set-Cookie"))
		}
	}
}

// TestScanTextControlsVisible: a scan's raw text is what the scanner sent
// and is kept so; on the review page and in the CSV a control, format
// (bidirectional, zero width) or separator character in it is shown as
// its code instead of acting: a right-to-left override turned the rest
// of the text around, ESC and NUL went into the spreadsheet, a zero width
// space hid (red team, 26th stop). The API keeps the text exact.
func TestScanTextControlsVisible(t *testing.T) {
	e := newAPIEnv(t)
	text := "EPM1:ab\u202ecd\u2066x\u200by\x1b[31mz\x00w\u0085\x1d01"
	e.insert(mark.Record{ID: "rb", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: text, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(9)})
	sup := e.client()
	sup.login(supName, supPass)
	for _, p := range []string{"/review/rb", "/review/export.csv"} {
		code, body := sup.get(p)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
		body = html.UnescapeString(body) // U&#43;202E on the page
		if strings.ContainsAny(body, "\u202e\u2066\u200b\x1b\x00\u0085\x1d") {
			t.Errorf("%s: a control or format character of the scan acts:\n%q", p, snippet(body, "EPM1:ab"))
		}
		for _, code := range []string{"U+202E", "U+2066", "U+200B", "U+001B", "U+0000", "U+0085", "U+001D"} {
			if !strings.Contains(body, code) {
				t.Errorf("%s: %s not shown:\n%q", p, code, snippet(body, "EPM1:ab"))
			}
		}
	}
	var got struct {
		Text string `json:"text"`
	}
	_, body, _ := sup.do("GET", "/api/scans/rb", nil, map[string]string{"Accept": "application/json"})
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != text {
		t.Fatalf("the API's text: %q, want it exact", got.Text)
	}
}

// TestLongRequestURIRefused: a path and query together over MaxURI bytes
// are refused 414 naming the limit, before any route: each route echoed
// its wrong value whole (900 KB of ?from= came back 900 KB in the API's
// 400, 1.8 MB on the error page, 2.7 MB as a filter shown three times on
// the list). A login redirect whose next= would be over it goes without.
func TestLongRequestURIRefused(t *testing.T) {
	e := newAPIEnv(t)
	sup := e.client()
	sup.login(supName, supPass)
	big := strings.Repeat("x", MaxURI)
	for _, p := range []string{"/api/scans?from=" + big, "/review?counter=" + big, "/review/batches?day=" + big,
		"/review/" + big, "/login?next=/" + big, "/lang?set=" + big, "/api/scans/" + big} {
		for _, acc := range []string{"text/html", "application/json"} {
			code, body, _ := sup.do("GET", p, nil, map[string]string{"Accept": acc})
			if code != http.StatusRequestURITooLong || len(body) > 16<<10 || !strings.Contains(body, "8192") {
				t.Errorf("%.30s… (%s): %d, %d bytes: %.300s", p, acc, code, len(body), body)
			}
		}
	}
	// At the limit: served.
	p := "/review?counter=" + strings.Repeat("x", MaxURI-len("/review?counter="))
	if code, _ := sup.get(p); code != http.StatusOK {
		t.Fatalf("a request URI of %d bytes: %d", len(p), code)
	}
	// Logged out, a long one that fits is sent to the login without its
	// way back (next= would be three times as long).
	code, _, h := e.client().do("GET", p, nil, nil)
	if loc := h.Get("Location"); code != http.StatusSeeOther || len(loc) > MaxURI || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("logged out: %d to %.100q (%d bytes)", code, loc, len(loc))
	}
}

// TestLongHostNotEchoed: the refusal of a Host that is not a name of
// this counter quotes its first 100 bytes only: it repeated a header of
// up to a mebibyte whole.
func TestLongHostNotEchoed(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
	req.Host = strings.Repeat("a", 64<<10) + ".example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, res.Body)
	if res.StatusCode != http.StatusMisdirectedRequest || b.Len() > 1000 || !strings.Contains(b.String(), "http.hosts") {
		t.Fatalf("a 64 KiB Host: %d, %d bytes: %.200s", res.StatusCode, b.Len(), b.String())
	}
}

// TestSessionsPerUserBounded: one user holds at most MaxSessionsPerUser
// sessions; a login past them ends that user's oldest (its cookie is told
// its login ended), other users' untouched. Before (red team, 26th stop)
// every login with the right password added one, kept until its idle
// expiry (12 h), and each login walked them all.
func TestSessionsPerUserBounded(t *testing.T) {
	e := newEnv(t, nil)
	op := e.client()
	op.login(opName, opPass)
	var first *client
	for i := range MaxSessionsPerUser + 1 {
		c := e.client()
		c.login(supName, supPass)
		if i == 0 {
			first = c
		}
		e.clock.Add(time.Second)
	}
	if n := e.srv.sess.count(supName); n != MaxSessionsPerUser {
		t.Fatalf("%d sessions of %s, want %d", n, supName, MaxSessionsPerUser)
	}
	code, _, h := first.do("GET", "/review", nil, nil)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "ended=ended") {
		t.Fatalf("the oldest session after %d more logins: %d to %q, want the login page saying it ended",
			MaxSessionsPerUser, code, h.Get("Location"))
	}
	if code, _ := op.get("/"); code != http.StatusOK {
		t.Fatalf("another user's session: %d", code)
	}
}

// count is how many sessions user has.
func (s *sessions) count(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.m {
		if v.User == user {
			n++
		}
	}
	return n
}
