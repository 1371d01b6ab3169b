package hubweb_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub/hubweb"
	"markd/internal/browsertest"
)

// clock is a test clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// browser is one browser: a cookie jar, no automatic redirects.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

// login logs in through the form and returns the session's form token.
func (b *browser) login(name, pass string) string {
	b.t.Helper()
	_, page, _ := b.do("GET", "/login", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("login page without a form token: %s", page)
	}
	if code, _, _ := b.do("POST", "/login", url.Values{"csrf": {m[1]}, "user": {name}, "password": {pass}}); code != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d, want 303", name, code)
	}
	_, page, _ = b.do("GET", "/", nil)
	m = csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("fleet page without the session's form token")
	}
	return m[1]
}

// lifetimeEnv is the regional pages of newEnv's store on a clock the
// test moves, with a session lifetime of 12 h.
func lifetimeEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	e := newEnv(t)
	ck := &clock{t: e.now}
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: ck.Now, SessionLifetime: 12 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	t.Cleanup(ts.Close)
	return &env{ts: ts, store: e.store, now: e.now}, ck
}

// TestSessionLifetime: a session of the regional pages in use all the
// time (a page every 55 minutes, inside the idle limit) ends
// SessionLifetime after its login: a page sends the browser to the login
// page, which says why, a form is refused saying why; a later login of
// the same person keeps its own lifetime, and logging in again works.
func TestSessionLifetime(t *testing.T) {
	e, ck := lifetimeEnv(t)
	start := ck.Now()
	b, later := newBrowser(t, e.ts.URL), newBrowser(t, e.ts.URL)
	csrf := b.login(supName, supPass)
	for ck.Now().Sub(start) < 12*time.Hour-55*time.Minute {
		ck.Set(ck.Now().Add(55 * time.Minute))
		if code, _, _ := b.do("GET", "/", nil); code != http.StatusOK {
			t.Fatalf("%v after the login, in use: %d, want 200", ck.Now().Sub(start), code)
		}
	}
	later.login(supName, supPass)
	ck.Set(start.Add(12*time.Hour - time.Second))
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusOK {
		t.Fatalf("a second before the lifetime: %d, want 200", code)
	}

	ck.Set(start.Add(12 * time.Hour))
	code, _, hdr := b.do("GET", "/alerts?all=1", nil)
	if loc := hdr.Get("Location"); code != http.StatusSeeOther || loc != "/login?ended=lifetime&next=%2Falerts%3Fall%3D1" {
		t.Fatalf("a page after the lifetime: %d to %q, want 303 to the login page with the reason", code, loc)
	}
	code, page, _ := b.do("GET", hdr.Get("Location"), nil)
	if code != http.StatusOK || !strings.Contains(page, "a login lasts at most 12 h") || !strings.Contains(page, "вход действует не дольше 12 ч") {
		t.Fatalf("login page after the lifetime: %d, does not say why\n%s", code, page)
	}
	code, page, _ = b.do("POST", "/logout", url.Values{"csrf": {csrf}})
	if code != http.StatusUnauthorized || !strings.Contains(page, "a login lasts at most 12 h") {
		t.Fatalf("a form after the lifetime: %d, want 401 saying why\n%s", code, page)
	}
	if code, _, _ := later.do("GET", "/", nil); code != http.StatusOK {
		t.Fatalf("a session of the same person begun 11 h 55 min later: %d, want 200 (its own lifetime)", code)
	}
	b.login(supName, supPass)
}

// TestBrowserSessionLifetime: the login page that says a session reached
// its lifetime holds to WCAG 2.1 AA in both languages.
func TestBrowserSessionLifetime(t *testing.T) {
	e, _ := lifetimeEnv(t)
	ctx := browsertest.New(t)
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "login page after the lifetime "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/login%3Fended%3Dlifetime"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #flash`)))
		if got := text(t, ctx, "#flash"); lang == "en" && !strings.Contains(got, "a login lasts at most 12 h") {
			t.Errorf("login page after the lifetime says %q", got)
		}
		browsertest.Check(t, ctx, "hub-login-lifetime-"+lang, nil)
	}
}

// TestSessionIdle: a session of the regional pages ends SessionTTL after
// its last use (markhub's session_ttl; it was a fixed 8 h): used again
// within it, it goes on; unused past it, a page goes to the login page,
// which says the login ended.
func TestSessionIdle(t *testing.T) {
	e := newEnv(t)
	ck := &clock{t: e.now}
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: ck.Now, SessionLifetime: 12 * time.Hour, SessionTTL: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	t.Cleanup(ts.Close)
	b := newBrowser(t, ts.URL)
	b.login(supName, supPass)
	start := ck.Now()
	ck.Set(start.Add(29 * time.Minute))
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusOK {
		t.Fatalf("29 min unused: %d, want 200", code)
	}
	ck.Set(start.Add(58 * time.Minute)) // 29 min since the last use
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusOK {
		t.Fatalf("used again within session_ttl: %d, want 200", code)
	}
	ck.Set(start.Add(58*time.Minute + 30*time.Minute + time.Second))
	code, _, hdr := b.do("GET", "/", nil)
	if loc := hdr.Get("Location"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?ended=idle") {
		t.Fatalf("30 min unused (session_ttl 30m): %d to %q, want 303 to the login page saying the login ended unused", code, loc)
	}
	code, page, _ := b.do("GET", hdr.Get("Location"), nil)
	if code != http.StatusOK || !strings.Contains(page, "logged out after 30 min without use") || !strings.Contains(page, "без действий завершается через 30 мин") {
		t.Fatalf("login page after 30 min unused: %d, does not say why\n%s", code, page)
	}
}
