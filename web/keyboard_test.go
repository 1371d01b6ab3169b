package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

func activeID(t *testing.T, ctx context.Context) string {
	t.Helper()
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ''`))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tabTo presses Tab until the element with id has the focus.
func tabTo(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for i := 0; i < 80; i++ {
		step(t, ctx, "Tab", chromedp.KeyEvent("\t"))
		if activeID(t, ctx) == id {
			return
		}
	}
	t.Fatalf("Tab never reached #%s", id)
}

// keyLogin logs in with the keyboard only: the name field has the focus
// when the page opens.
func keyLogin(t *testing.T, e *env, ctx context.Context, name, pass string) {
	t.Helper()
	step(t, ctx, "login page", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")))
	if id := activeID(t, ctx); id != "user" {
		t.Fatalf("the login page opens with the focus on %q, want the name field", id)
	}
	step(t, ctx, "type name and password, Enter",
		chromedp.KeyEvent(name), chromedp.KeyEvent("\t"), chromedp.KeyEvent(pass), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("who")))
}

// TestBrowserKeyboardPages: on every page Tab reaches every control, in
// visual order, each with a visible focus; the login page too.
func TestBrowserKeyboardPages(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	ctx := browsertest.New(t)
	step(t, ctx, "login page", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")))
	browsertest.CheckKeyboard(t, ctx, "login")
	keyLogin(t, e, ctx, supName, supPass)
	for _, p := range []a11yPage{
		{name: "operator", path: "/", ready: `#conn[data-state="ok"]`},
		{name: "review-list", path: "/review", ready: "#review-list"},
		{name: "review-detail", path: "/review/x-rej", ready: "#override-form"},
		{name: "review-days", path: "/review/days", ready: "#chart"},
		{name: "not-found", path: "/review/nosuchrecord", ready: "#back"},
	} {
		step(t, ctx, "open "+p.name, chromedp.Navigate(e.ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		browsertest.CheckKeyboard(t, ctx, p.name)
		if p.name == "operator" || p.name == "review-detail" { // the wrapped layout of 200 % zoom too
			if err := browsertest.SetView(ctx, browsertest.Zoom200); err != nil {
				t.Fatal(err)
			}
			browsertest.CheckKeyboard(t, ctx, p.name+"-200pct")
			if err := browsertest.ResetView(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestBrowserKeyboardCounterFlow is the operator's whole shift without a
// mouse: log in, skip to the content, see and hear (live region) each
// verdict, switch the language, switch the sound on, log out; and the
// supervisor's review: open a rejection from the list and accept it
// despite the rejection with a note.
func TestBrowserKeyboardCounterFlow(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	ctx := browsertest.New(t)
	keyLogin(t, e, ctx, opName, opPass)
	step(t, ctx, "connected", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)))
	step(t, ctx, "first Tab", chromedp.KeyEvent("\t"))
	if cls, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Fatalf("the first Tab goes to %q, want the skip link", cls)
	}
	step(t, ctx, "skip link", chromedp.KeyEvent("\r"))
	if id := activeID(t, ctx); id != "main" {
		t.Fatalf("after the skip link the focus is on %q, want main", id)
	}
	scan := func(r mark.Record) {
		t.Helper()
		r.At, r.Counter, r.Source = e.clock.Now(), "A", "stdin"
		for i := 0; e.feed.publish(r) == 0; i++ {
			if i > 500 {
				t.Fatal("the operator screen did not subscribe")
			}
			time.Sleep(10 * time.Millisecond)
		}
		step(t, ctx, "see "+r.ID, chromedp.WaitVisible(chromedp.CSS(`#current[data-id="`+r.ID+`"]`)))
	}
	announced := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('announce').innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	scan(mark.Record{ID: "k1", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(201)})
	if a := announced(); !strings.Contains(a, "ОТКАЗ") || !strings.Contains(a, "Оплачено меньше тарифа") {
		t.Errorf("live region says %q", a)
	}
	tabTo(t, ctx, "lang-en")
	step(t, ctx, "English with Enter", chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #lang-en[aria-pressed="true"]`)))
	if a := announced(); !strings.Contains(a, "REJECT") || !strings.Contains(a, "Less than the tariff was paid") {
		t.Errorf("live region in English says %q", a)
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); !strings.HasPrefix(title, "Counter") {
		t.Errorf("page title after switching to English: %q", title)
	}
	tabTo(t, ctx, "sound")
	step(t, ctx, "sound on with Space", chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.CSS(`#sound[aria-pressed="true"]`)))
	scan(mark.Record{ID: "k2", Verdict: mark.Accept, Mark: testMark(202)})
	if a := announced(); !strings.Contains(a, "ACCEPT") {
		t.Errorf("live region says %q", a)
	}
	if s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("serial"))); s != "202" {
		t.Errorf("serial on the card: %q, want 202", s)
	}
	tabTo(t, ctx, "logout")
	step(t, ctx, "log out with Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("login-form")))

	// The language came with the cookie: the login page is English now.
	if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("after logging out the page is %q, want en", lang)
	}
	keyLogin(t, e, ctx, supName, supPass)
	step(t, ctx, "home", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("who")))
	for i := 0; ; i++ {
		step(t, ctx, "Tab", chromedp.KeyEvent("\t"))
		href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute('href') || ''`))
		if href == "/review" {
			break
		}
		if i > 20 {
			t.Fatal("Tab never reached the link to the rejections")
		}
	}
	step(t, ctx, "open the list with Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("review-list")))
	for i := 0; ; i++ {
		step(t, ctx, "Tab", chromedp.KeyEvent("\t"))
		href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute('href') || ''`))
		if href == "/review/x-rej" {
			break
		}
		if i > 40 {
			t.Fatal("Tab never reached the rejection x-rej")
		}
	}
	step(t, ctx, "open it with Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("override-form")))
	tabTo(t, ctx, "override-note")
	step(t, ctx, "note, Tab, Enter", chromedp.KeyEvent("receipt shown"), chromedp.KeyEvent("\t"))
	if id := activeID(t, ctx); id != "override" {
		t.Fatalf("Tab after the note goes to %q, want the accept button", id)
	}
	step(t, ctx, "accept despite the rejection", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("flash")))
	if st, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("review-state"), "data-state")); st.Value != "overridden" {
		t.Errorf("review state %q, want overridden", st.Value)
	}
}

// TestLanguageCookie: without script the language buttons are a GET form:
// /lang sets the cookie and goes back, and the next page arrives in that
// language with the right lang attribute, title and pressed button.
func TestLanguageCookie(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	code, _, hdr := c.do("GET", "/lang?set=en&next=/login", nil, nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/login" || !strings.Contains(hdr.Get("Set-Cookie"), "markd_lang=en") {
		t.Fatalf("GET /lang: %d %v", code, hdr)
	}
	code, body := c.get("/login")
	for _, want := range []string{`<html lang="en" class="en">`, `<title data-ru="Вход — markd" data-en="Log in — markd">Log in — markd</title>`,
		`id="lang-en" lang="en" aria-pressed="true"`, `id="lang-ru" lang="ru" aria-pressed="false"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("login page in English lacks %s", want)
		}
	}
	if code, _, hdr := c.do("GET", "/lang?set=ru&next=//evil.example/", nil, nil); code != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("off-site next: %d %s", code, hdr.Get("Location"))
	}
	if code, _ := c.get("/lang?set=de"); code != http.StatusBadRequest {
		t.Fatalf("unknown language: %d, want 400", code)
	}
	if _, body := c.get("/login"); !strings.Contains(body, `<html lang="ru">`) {
		t.Fatal("back to Russian: the page is not lang=ru")
	}
}
