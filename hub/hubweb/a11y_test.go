package hubweb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/internal/browsertest"
	"markd/internal/testdata"
)

// a11yPage is one regional page, in one state, held to WCAG 2.1 AA in
// both languages at every browsertest view by checkA11y.
// TestEveryPageRouteChecked reads these literals from the test files: a
// route that answers with a page must be opened by one (path, or via for
// the answer of a form's POST).
type a11yPage struct {
	name  string
	path  string // opened in the browser
	ready string // CSS selector visible once the page is ready
	// then, when set, brings the page into the state checked (a form
	// submitted); it runs after ready.
	then func(t *testing.T, ctx context.Context, base, lang string)
	// via is the route whose answer is the page checked, when that is not
	// a GET of path (a refused form's POST).
	via string
}

// setLang chooses the language the way the buttons do.
func setLang(t *testing.T, ctx context.Context, base, lang string) {
	t.Helper()
	step(t, ctx, "language "+lang, chromedp.Navigate(base+"/lang?set="+lang+"&next=/login"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
}

// checkA11y opens p on the server at base in lang and holds it to WCAG 2.1
// AA at every view, with no sideways scrolling at 200 % zoom.
func checkA11y(t *testing.T, ctx context.Context, routes *http.ServeMux, base string, p a11yPage, lang string) {
	t.Helper()
	setLang(t, ctx, base, lang)
	step(t, ctx, "open "+p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
	if p.then != nil {
		p.then(t, ctx, base, lang)
	}
	if p.via != "" {
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err != nil {
			t.Fatal(err)
		}
		method, _, _ := strings.Cut(p.via, " ")
		if got := routeOf(routes, method, loc); got != p.via {
			t.Errorf("%s: the page shown is at %s, which %q does not take (route %q)", p.name, loc, p.via, got)
		}
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
		t.Errorf("%s: page language %q, want %q", p.name, got, lang)
	}
	browsertest.Check(t, ctx, "hub-"+p.name+"-"+lang, nil)
}

// submit sets the fields (CSS selector → value) by script, clicks submit
// and waits for ready.
func submit(t *testing.T, ctx context.Context, fields [][2]string, button, ready string) {
	t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for _, f := range fields {
		sel, _ := json.Marshal(f[0])
		val, _ := json.Marshal(f[1])
		acts = append(acts, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+string(sel)+`).value = `+string(val)))
	}
	rsel, _ := json.Marshal(ready)
	acts = append(acts,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[required]').forEach(e => e.required = false); `+
			`document.querySelector(`+string(rsel)+`)?.remove()`),
		chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS(ready)))
	step(t, ctx, "submit "+button, acts...)
}

// longNote is a note as long as the collector keeps (2000 bytes), words
// and one long unbroken run (a pasted link), as people write them.
var longNote = func() string {
	n := "https://track.example.ru/" + strings.Repeat("a1b2c3d4", 20) + " " +
		strings.Repeat("The customer showed the receipt; checked with the office log. ", 40)
	return n[:2000]
}()

// a11yLoginStates are the login page's notices and refusals.
func a11yLoginStates() []a11yPage {
	wrong := func(name string, times int) func(*testing.T, context.Context, string, string) {
		return func(t *testing.T, ctx context.Context, _, _ string) {
			for range times {
				submit(t, ctx, [][2]string{{"#user", name}, {"#password", "not it at all"}}, "#login-submit", "#error")
			}
		}
	}
	return []a11yPage{
		{name: "login", path: "/login", ready: "#login-form"},
		{name: "login-wrong-password", path: "/login", ready: "#login-form", via: "POST /login", then: wrong("ghost", 1)},
		// 10 failures a minute for a name, then 429.
		{name: "login-too-many", path: "/login", ready: "#login-form", via: "POST /login", then: wrong("nobody", 11)},
		{name: "login-form-expired", path: "/login", ready: "#login-form", via: "POST /login",
			then: func(t *testing.T, ctx context.Context, _, _ string) {
				submit(t, ctx, [][2]string{{`#login-form input[name=csrf]`, "stale"}, {"#user", "ghost"}, {"#password", "x"}}, "#login-submit", "#error")
			}},
		{name: "login-session-idle", path: "/login?ended=idle&next=/", ready: "#flash"},
		{name: "login-session-lifetime", path: "/login?ended=lifetime&next=/", ready: "#flash"},
		{name: "bad-language", path: "/lang?set=xx", ready: "#error"},
	}
}

// a11yStates are the pages behind the login in the states the other
// browser tests do not check, on newEnv's store with 60 disputed
// acceptances (recs "rec-d-NN") and 30 questioned rejections ("rej-d-NN").
func a11yStates() []a11yPage {
	review := func(t *testing.T, ctx context.Context, _, lang string) {
		// A review with the longest note, then the row opened again with
		// another: the open table shows it with the note.
		id := map[string]string{"ru": "rec-d-00", "en": "rec-d-01"}[lang]
		row := `#disputed tr[data-record="` + id + `"] `
		submit(t, ctx, [][2]string{{row + "input[name=note]", longNote}}, row+"button[value=reviewed]", "#dispute-flash")
		row = `#disputed-reviewed tr[data-record="` + id + `"] `
		submit(t, ctx, [][2]string{{row + "input[name=note]", longNote}}, row+"button[value=open]", "#dispute-flash")
	}
	reviewQuestion := func(t *testing.T, ctx context.Context, _, lang string) {
		id := map[string]string{"ru": "rej-d-00", "en": "rej-d-01"}[lang]
		row := `#questioned tr[data-record="` + id + `"] `
		submit(t, ctx, [][2]string{{row + "input[name=note]", longNote}}, row+"button[value=reviewed]", "#question-flash")
		row = `#questioned-reviewed tr[data-record="` + id + `"] `
		submit(t, ctx, [][2]string{{row + "input[name=note]", longNote}}, row+"button[value=open]", "#question-flash")
	}
	return []a11yPage{
		{name: "fleet", path: "/", ready: "#fleet"},
		{name: "fleet-none-match", path: "/?office=999", ready: "#fleet"},
		{name: "alerts-many-disputed", path: "/alerts", ready: "#disputed"},
		{name: "alerts-reviewed-reopened", path: "/alerts", ready: "#disputed", then: review},
		{name: "alerts-all", path: "/alerts?all=1", ready: "#disputed"},
		{name: "alert-acknowledged-long-note", path: "/alerts", ready: "section.batch",
			then: func(t *testing.T, ctx context.Context, _, _ string) {
				submit(t, ctx, [][2]string{{`section.batch input[name=note]`, longNote}}, `section.batch button[value=acknowledged]`, "#flash")
			}},
		{name: "alert-refused", path: "/alerts", ready: "#disputed", via: "POST /alerts/{id}",
			then: func(t *testing.T, ctx context.Context, _, _ string) {
				// Resolving needs a note: the collector refuses it and says so.
				submit(t, ctx, nil, `section.batch button[value=resolved]`, "#error")
			}},
		{name: "dispute-refused", path: "/alerts", ready: "#disputed", via: "POST /disputed",
			then: func(t *testing.T, ctx context.Context, _, _ string) {
				submit(t, ctx, nil, `#disputed tr[data-record="rec-d-59"] button[value=reviewed]`, "#error")
			}},
		{name: "questioned-many", path: "/questioned", ready: "#questioned"},
		{name: "questioned-reviewed-reopened", path: "/questioned", ready: "#questioned", then: reviewQuestion},
		{name: "question-refused", path: "/questioned", ready: "#questioned", via: "POST /questioned",
			then: func(t *testing.T, ctx context.Context, _, _ string) {
				submit(t, ctx, nil, `#questioned tr[data-record="rej-d-29"] button[value=reviewed]`, "#error")
			}},
		{name: "lookup-form", path: "/lookup", ready: "#lookup-form"},
		{name: "lookup-found", path: "/lookup?by=serial&q=4711", ready: "#found"},
		{name: "lookup-none", path: "/lookup?by=serial&q=123456789", ready: "#lookup-form"},
		{name: "lookup-bad", path: "/lookup?by=serial&q=abc", ready: "#error"},
		{name: "unverified", path: "/unverified", ready: "#unverified"},
		{name: "refused", path: "/refused", ready: "h1"},
		{name: "offices-form", path: "/offices", ready: "#office-form"},
		{name: "offices-no-days", path: "/offices?office=190000&from=2026-11-19&to=2026-11-25", ready: "#office-form"},
		{name: "rejects-form", path: "/rejects", ready: "#rejects-form"},
		{name: "rejects-none", path: "/rejects?min=100000&from=2026-11-19&to=2026-11-25", ready: "#rejects-form"},
		{name: "no-such-page", path: "/no/such/page", ready: "h1"},
	}
}

// emptyStates are the pages of a collector with nothing on them yet.
func emptyStates() []a11yPage {
	return []a11yPage{
		{name: "empty-fleet", path: "/", ready: "#fleet"},
		{name: "empty-alerts", path: "/alerts", ready: "#no-disputed"},
		{name: "empty-unverified", path: "/unverified", ready: "h1"},
		{name: "empty-refused", path: "/refused", ready: "#no-refused"},
		{name: "empty-questioned", path: "/questioned", ready: "#no-questioned"},
	}
}

// emptyServer is the regional pages over a store with one account and
// nothing else.
func emptyServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := testdata.Now()
	addSupervisor(t, s, now)
	pages, err := hubweb.New(hubweb.Options{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestBrowserAccessibilityStates holds to WCAG 2.1 AA, in both languages
// at 1024×768 and 200 % zoom with no sideways scroll, the regional pages
// in the states the other browser tests do not check: the login page's
// refusals (401, 429, an expired form) and notices of an ended session;
// a bad language; the fleet when nothing matches; the alerts page with
// 60 disputed acceptances, after a review and a reopening with the
// longest note, with the resolved ones, and the refusals of its two
// forms; the questioned page with 30 questioned rejections, after a
// review and a reopening with the longest note, and its refused review; the lookup's form, a serial with no scan and a bad number; the
// office and reject forms before a query and with nothing found; a path
// no route takes; and a collector with nothing on it yet.
func TestBrowserAccessibilityStates(t *testing.T) {
	e := newEnv(t)
	var recs []otherOffice
	for i := range 60 {
		recs = append(recs, otherOffice{fmt.Sprintf("rec-d-%02d", i), uint64(4800 + i)})
	}
	uploadOtherOffice(t, e, recs...)
	var rejs []string
	for i := range 30 {
		rejs = append(rejs, fmt.Sprintf("rej-d-%02d", i))
	}
	uploadQuestioned(t, e, 5800, rejs...)
	routes := routeMux(t, e.store)
	ctx := browsertest.New(t)
	for _, p := range a11yLoginStates() {
		for _, lang := range []string{"ru", "en"} {
			t.Run(p.name+"-"+lang, func(t *testing.T) { checkA11y(t, ctx, routes, e.ts.URL, p, lang) })
		}
	}
	login(t, ctx, e)
	for _, p := range a11yStates() {
		for _, lang := range []string{"ru", "en"} {
			t.Run(p.name+"-"+lang, func(t *testing.T) { checkA11y(t, ctx, routes, e.ts.URL, p, lang) })
		}
	}
	empty := emptyServer(t)
	step(t, ctx, "log in to the empty collector", chromedp.Navigate(empty+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), supName), chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("fleet")))
	for _, p := range emptyStates() {
		for _, lang := range []string{"ru", "en"} {
			t.Run(p.name+"-"+lang, func(t *testing.T) { checkA11y(t, ctx, routes, empty, p, lang) })
		}
	}
}

// notPages are the routes whose answers are not pages (each with what it
// answers); every other route must be opened by an a11yPage.
var notPages = map[string]string{
	"GET /static/app.css":       "the style sheet",
	"POST /logout":              "303 to the login page",
	"GET /disputed.csv":         "CSV download",
	"GET /offices.csv":          "CSV download",
	"GET /rejects.csv":          "CSV download",
	"POST /devices/{id}/revoke": "303 back to the devices page (checked after a revoke: devices-revoked); a refusal is the error page",
}

// routeMux is a router with the regional pages' routes, each answering
// nothing: routeOf asks it which route takes a request.
func routeMux(t *testing.T, s hub.Regional) *http.ServeMux {
	t.Helper()
	pages, err := hubweb.New(hubweb.Options{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	m := http.NewServeMux()
	for _, p := range pages.Patterns() {
		m.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	return m
}

func routeOf(m *http.ServeMux, method, path string) string {
	_, pattern := m.Handler(httptest.NewRequest(method, path, nil))
	return pattern
}

// TestEveryPageRouteChecked: every route the regional pages' router has
// is opened by an a11yPage of a browser test (path, or via for the answer
// of a form's POST), and so held to WCAG 2.1 AA at 1024×768 and 200 %
// zoom, or is in notPages; a notPages route answering with an HTML page
// fails. A new page cannot skip the accessibility check.
func TestEveryPageRouteChecked(t *testing.T) {
	e := newEnv(t)
	m := routeMux(t, e.store)
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	patterns := pages.Patterns()
	checked := map[string][]string{}
	lits, err := browsertest.PageLits(".", "a11yPage")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lits {
		pat := routeOf(m, http.MethodGet, strings.SplitN(p.Path, "?", 2)[0])
		if pat == "" {
			t.Errorf("%s: a11yPage %q: no route takes GET %s", p.Pos, p.Name, p.Path)
		}
		checked[pat] = append(checked[pat], p.Name)
		if p.Via != "" {
			if !slices.Contains(patterns, p.Via) {
				t.Errorf("%s: a11yPage %q: via %q is no route of the router", p.Pos, p.Name, p.Via)
			}
			checked[p.Via] = append(checked[p.Via], p.Name)
		}
	}
	if len(checked) < 5 {
		t.Fatalf("a11yPage literals for %d routes only: the scan of the test files lost them", len(checked))
	}
	for _, pat := range patterns {
		_, exempt := notPages[pat]
		switch names := checked[pat]; {
		case exempt && len(names) > 0:
			t.Errorf("route %q is in notPages but a browser test opens it as a page (%v)", pat, names)
		case !exempt && len(names) == 0:
			t.Errorf("route %q is not held to WCAG 2.1 AA: add an a11yPage that opens it, "+
				"or, when its answer is not a page, a line in notPages saying what it is", pat)
		}
	}
	for pat := range notPages {
		if !slices.Contains(patterns, pat) {
			t.Errorf("notPages has %q, which the router does not", pat)
		}
	}
	// What notPages says holds: none answers a logged-in browser with a page.
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		res, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return string(b)
	}
	res, err := c.PostForm(ts.URL+"/login", url.Values{"csrf": {csrfField.FindStringSubmatch(get("/login"))[1]},
		"user": {supName}, "password": {supPass}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	csrf := csrfField.FindStringSubmatch(get("/"))[1]
	exempt := slices.Sorted(maps.Keys(notPages))
	exempt = append(slices.DeleteFunc(exempt, func(p string) bool { return p == "POST /logout" }), "POST /logout")
	for _, pat := range exempt {
		method, path, _ := strings.Cut(pat, " ")
		req, _ := http.NewRequest(method, ts.URL+path+"?office=426000&from=2026-11-19&to=2026-11-25", strings.NewReader("csrf="+csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 300 && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s is in notPages, but answers a browser %d with an HTML page", pat, res.StatusCode)
		}
	}
}
