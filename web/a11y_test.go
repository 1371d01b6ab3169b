package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// a11yPage is one page, in one state, that the accessibility test holds to
// WCAG 2.1 AA in both languages at every browsertest view. New pages get a
// line in a11yPages (or their own test calling checkA11y).
type a11yPage struct {
	name  string
	path  string // opened in the browser
	ready string // CSS selector that is visible once the page is ready
	// then, when set, brings the page into the state to check (a verdict
	// on the operator screen); it runs after ready.
	then func(t *testing.T, e *env, ctx context.Context, lang string)
	// contained: selectors of boxes whose content must stay inside them.
	contained []string
	// via is the route (a pattern of the router) whose answer is the
	// state checked, when that is not a GET of path: a form's POST that
	// then submits. TestEveryPageRouteChecked counts path and via.
	via string
	// lang is the page's one language when it has no other (the
	// printable receipt is in Russian only).
	lang string
}

// operatorState shows a record of verdict v on the operator screen.
func operatorState(id string, r mark.Record) func(*testing.T, *env, context.Context, string) {
	return func(t *testing.T, e *env, ctx context.Context, lang string) {
		t.Helper()
		r.ID = id + "-" + lang
		r.At, r.Counter, r.Source, r.Operator = e.clock.Now(), "A", "stdin", opName
		// Published again until the card shows it: a subscriber counted by
		// publish may be the previous page's stream, not yet closed after
		// the navigation, while this page's has not subscribed yet (the
		// test then waited for a verdict sent to the old page).
		for idle, sent := 0, 0; idle <= 500 && sent <= 20; {
			if e.feed.publish(r) == 0 {
				idle++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			sent++
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			err := chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS(`#current[data-id="`+r.ID+`"]`)))
			cancel()
			if err == nil {
				return
			}
		}
		t.Fatalf("see %s: the operator screen did not show the verdict published to its live feed", r.ID)
	}
}

func a11yPages() []a11yPage {
	card := []string{"#current", "#recent-wrap"} // the card and the recent scans fit, no scrolling
	forged := mark.Record{Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonBadSignature}, Text: "EPM1:FORGED"}
	return []a11yPage{
		{name: "operator-waiting", path: "/", ready: `#conn[data-state="ok"]`, contained: card},
		{name: "operator-accept", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-acc", mark.Record{Verdict: mark.Accept, Mark: testMark(101)})},
		{name: "operator-reject", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-rej", mark.Record{Verdict: mark.Reject, Mark: testMark(102),
				Reasons: []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired, mark.ReasonWrongOffice}})},
		{name: "operator-reject-forged", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-forged", forged)},
		{name: "operator-duplicate", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-dup", mark.Record{Verdict: mark.DuplicateScan, Mark: testMark(101)})},
		{name: "operator-not-a-mark", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-nam", mark.Record{Verdict: mark.NotAMark, Text: "hello"})},
		{name: "operator-error", path: "/", ready: `#conn[data-state="ok"]`, contained: card,
			then: operatorState("a-err", mark.Record{Verdict: mark.Error, Mark: testMark(103),
				Message: "not recorded: do not accept this item"})},
		{name: "review-list", path: "/review", ready: "#review-list"},
		{name: "review-detail-pending", path: "/review/x-rej", ready: "#fields"},
		{name: "review-detail-forged", path: "/review/x-forged", ready: "#fields"},
		{name: "review-detail-reused", path: "/review/x-reused", ready: "#first-accepted"},
		{name: "review-days", path: "/review/days", ready: "#chart"},
		{name: "not-found", path: "/review/nosuchrecord", ready: "h1"},
	}
}

// a11yData fills the store with the records the pages above show.
func (e *env) a11yData() {
	e.insert(mark.Record{ID: "x-acc", At: e.clock.Now().Add(-time.Hour), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:FIRST", Verdict: mark.Accept, Mark: testMark(7)})
	e.rejected("x-rej", 8, mark.ReasonUnderpaid, mark.ReasonExpired, mark.ReasonWrongOffice)
	e.insert(mark.Record{ID: "x-forged", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:FORGED", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonBadSignature}})
	e.insert(mark.Record{ID: "x-reused", At: e.clock.Now().Add(time.Minute), Office: 426000, Counter: "B", Operator: opName,
		Text: "EPM1:AGAIN", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonReused}, Mark: testMark(7),
		FirstAccepted: &mark.Acceptance{RecordID: "x-acc", At: e.clock.Now().Add(-time.Hour), Office: 426000, Counter: "A"}})
	e.insert(mark.Record{ID: "x-nam", At: e.clock.Now().Add(-2 * time.Hour), Office: 426000, Counter: "A", Operator: opName,
		Text: "hello", Verdict: mark.NotAMark})
	e.insert(mark.Record{ID: "x-dup", At: e.clock.Now().Add(-time.Hour + time.Second), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:FIRST", Verdict: mark.DuplicateScan, Mark: testMark(7)})
}

// setLang chooses the page language the way the toggle does, by cookie.
func setLang(t *testing.T, ctx context.Context, base, lang string) {
	t.Helper()
	step(t, ctx, "language "+lang, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: "markd_lang", Value: lang, URL: base + "/", Path: "/", SameSite: network.CookieSameSiteStrict})
		return err
	}))
}

// checkA11y opens p in lang and holds it to WCAG 2.1 AA at every view.
func checkA11y(t *testing.T, e *env, ctx context.Context, p a11yPage, lang string) {
	t.Helper()
	setLang(t, ctx, e.ts.URL, lang)
	step(t, ctx, "open "+p.name, chromedp.Navigate(e.ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
	if p.then != nil {
		p.then(t, e, ctx, lang)
	}
	if p.via != "" {
		e.checkVia(t, ctx, p)
	}
	want := lang
	if p.lang != "" {
		want = p.lang
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != want {
		t.Errorf("%s: page language %q, want %q", p.name, got, want)
	}
	views := browsertest.Views
	// The counter's own screen too, for the states with the longest texts
	// (wider than 1024 px, so the others pass there when they pass at 1024).
	if p.name == "operator-reject" || p.name == "operator-error" {
		views = append(views[:len(views):len(views)], browsertest.Counter)
	}
	browsertest.Check(t, ctx, p.name+"-"+lang, views, p.contained...)
}

// TestBrowserAccessibility holds every page to WCAG 2.1 AA with axe-core, in
// Russian and English, at 1024×768 and at 200 % zoom, with no sideways
// scrolling: the login page, the operator screen in every verdict state,
// the review list, details, the day chart, the error pages, and an
// operator's friendly refusal of the review pages.
func TestBrowserAccessibility(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	ctx := browsertest.New(t)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, ctx, a11yPage{name: "login", path: "/login", ready: "#login-form"}, lang)
	}
	step(t, ctx, "log in as supervisor",
		loginTasks(e.ts.URL, supName, supPass),
	)
	for _, p := range a11yPages() {
		for _, lang := range []string{"ru", "en"} {
			checkA11y(t, e, ctx, p, lang)
		}
	}
	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "log in as operator",
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("current")),
	)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, ctx, a11yPage{name: "operator-on-review", path: "/review", ready: "h1"}, lang)
	}
}
