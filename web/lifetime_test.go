package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/httpapi"
	"markd/internal/browsertest"
)

// TestSessionLifetime: a session in use all the time (a page every 55
// minutes, inside the idle limit of an hour, and its live streams open)
// ends SessionLifetime after its login, not later: its streams get
// "ended" with the reason, a page sends the browser to the login page,
// which says why, and the API answers 401 saying why. A later login of
// the same person keeps its own lifetime, and logging in again works.
func TestSessionLifetime(t *testing.T) {
	e := newEnvAPI(t, func(o *Options) {
		o.SessionLifetime = 12 * time.Hour
		o.AccountPoll = 20 * time.Millisecond
	}, func(e *env) http.Handler {
		return httpapi.New(httpapi.Options{Store: e.db, Feed: e.feed, Keepalive: time.Hour}).Handler()
	})
	start := e.clock.Now()
	op, api := e.client(), e.client()
	op.login(opName, opPass)
	api.login(opName, opPass)
	asJSON := map[string]string{"Accept": "application/json"}
	for e.clock.Now().Sub(start) < 12*time.Hour-55*time.Minute {
		e.clock.Add(55 * time.Minute)
		if code, _ := op.get("/"); code != http.StatusOK {
			t.Fatalf("%v after the login, in use: %d, want 200", e.clock.Now().Sub(start), code)
		}
		if code, _, _ := api.do("GET", "/api/scans", nil, asJSON); code != http.StatusOK {
			t.Fatalf("%v after the login, API in use: %d, want 200", e.clock.Now().Sub(start), code)
		}
	}
	later := e.client()
	later.login(opName, opPass)
	live, events := op.stream("/operator/live"), api.stream("/events")
	e.clock.Set(start.Add(12*time.Hour - time.Second))
	if code, _ := op.get("/"); code != http.StatusOK {
		t.Fatalf("a second before the lifetime: %d, want 200", code)
	}
	if !live.open() || !events.open() {
		t.Fatal("a stream ended before the session's lifetime")
	}

	e.clock.Set(start.Add(12 * time.Hour))
	live.waitEnded(t, "the session's lifetime")
	events.waitEnded(t, "the session's lifetime")
	if got := live.lastEvent(); got != "ended" {
		t.Errorf("/operator/live: last event %q, want \"ended\"", got)
	}
	if got := live.dataOf("ended"); !strings.Contains(got, `"reason":"lifetime"`) {
		t.Errorf("/operator/live: ended with %s, want the reason lifetime (the page tells the login page)", got)
	}
	code, _, hdr := op.do("GET", "/review/days?day=2026-11-25", nil, nil)
	if loc := hdr.Get("Location"); code != http.StatusSeeOther || loc != "/login?ended=lifetime&next=%2Freview%2Fdays%3Fday%3D2026-11-25" {
		t.Fatalf("a page after the lifetime: %d to %q, want 303 to the login page with the reason", code, loc)
	}
	code, body := op.get(hdr.Get("Location"))
	if code != http.StatusOK || !strings.Contains(body, "a login lasts at most 12 h") || !strings.Contains(body, "вход действует не дольше 12 ч") {
		t.Fatalf("login page after the lifetime: %d, does not say why\n%s", code, body)
	}
	code, body, _ = api.do("GET", "/api/scans", nil, asJSON)
	var ans struct{ Error, Hint string }
	_ = jsonUnmarshal(body, &ans)
	if code != http.StatusUnauthorized || !strings.Contains(ans.Error, "12 h") || strings.Contains(ans.Error, ".:") || !strings.Contains(ans.Hint, "log in again") {
		t.Fatalf("API after the lifetime: %d %s, want 401 naming the lifetime (one sentence, no \".:\") and how to go on", code, body)
	}
	if code, body := api.get("/login?next=/"); code != http.StatusOK || !strings.Contains(body, "a login lasts at most 12 h") {
		t.Fatalf("login page a page's script opens on a 401 (no reason in the link): %d, does not say why\n%s", code, body)
	}
	if code, _ := later.get("/"); code != http.StatusOK {
		t.Fatalf("a session of the same person begun 11 h 55 min later: %d, want 200 (its own lifetime)", code)
	}
	op.login(opName, opPass)
}

// TestBrowserSessionLifetime: the operator screen open in a real browser
// past the session's lifetime goes to the login page, which says why in
// the page's language; that page holds to WCAG 2.1 AA like the others.
func TestBrowserSessionLifetime(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.SessionLifetime = 12 * time.Hour
		o.AccountPoll = 20 * time.Millisecond
	})
	ctx := browsertest.New(t)
	setLang(t, ctx, e.ts.URL, "en")
	start := e.clock.Now()
	step(t, ctx, "log in",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
	)
	e.clock.Set(start.Add(12 * time.Hour))
	step(t, ctx, "sent to the login page", chromedp.WaitVisible(chromedp.ID("login-form")), chromedp.WaitVisible(chromedp.ID("flash")))
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flash")))
	if err != nil || !strings.Contains(text, "a login lasts at most 12 h") {
		t.Fatalf("login page after the lifetime says %q (%v), want why", text, err)
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, ctx, a11yPage{name: "login-lifetime", path: "/login?ended=lifetime&next=/", ready: "#flash"}, lang)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
