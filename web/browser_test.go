package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// step runs actions with a deadline so a broken page fails instead of hanging.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := browsertest.Screenshot(t, ctx, name); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

// TestBrowserOperatorScreen drives the operator screen in a real browser
// against the pages on a real store: live verdicts over SSE in colour,
// the language switch, and the "connection lost" state.
func TestBrowserOperatorScreen(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.heartbit = 200 * time.Millisecond
	ctx := browsertest.New(t)
	step(t, ctx, "log in",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("current")),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sources .light[data-up="0"]`)),
	)
	records := []mark.Record{
		{ID: "b1", Verdict: mark.Accept, Mark: testMark(1)},
		{ID: "b2", Verdict: mark.DuplicateScan, Mark: testMark(1)},
		{ID: "b3", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}, Mark: testMark(2)},
	}
	for _, r := range records {
		r.At, r.Counter, r.Source = e.clock.Now(), "A", "stdin"
		if e.feed.publish(r) == 0 {
			t.Fatal("the page did not subscribe to the live feed")
		}
		step(t, ctx, "see "+r.ID, chromedp.WaitVisible(chromedp.CSS(`#current[data-id="`+r.ID+`"].v-`+string(r.Verdict))))
	}
	reasons, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("reasons")))
	if err != nil || reasons == "" {
		t.Fatalf("reasons: %q %v", reasons, err)
	}
	for _, want := range []string{"Оплачено меньше тарифа", "Срок действия марки истёк"} {
		if !strings.Contains(reasons, want) {
			t.Fatalf("reasons %q lack %q", reasons, want)
		}
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#recent tbody tr').length`))
	if err != nil || n != 3 {
		t.Fatalf("recent rows: %d %v", n, err)
	}
	screenshot(t, ctx, "web-operator-reject-ru")
	step(t, ctx, "switch to English", chromedp.Click(chromedp.ID("lang-en")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #lang-en[aria-pressed="true"]`)))
	reasons, _ = chromedp.Run(ctx, chromedp.Text(chromedp.ID("reasons")))
	if !strings.Contains(reasons, "Less than the tariff was paid") || strings.Contains(reasons, "Оплачено") {
		t.Fatalf("English reasons: %q", reasons)
	}
	screenshot(t, ctx, "web-operator-reject-en")
	// The connection drops (a proxy, a network blip): the page says so,
	// EventSource reconnects by itself and live updates resume.
	e.ts.CloseClientConnections()
	step(t, ctx, "connection lost shown", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="lost"]`)))
	step(t, ctx, "reconnected", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)))
	after := mark.Record{ID: "b4", At: e.clock.Now(), Counter: "A", Source: "stdin", Verdict: mark.NotAMark, Text: "hello"}
	for i := 0; e.feed.subscriptions() < 2; i++ { // wait for the page's new subscription
		if i > 1000 {
			t.Fatal("the page did not subscribe again after the reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.feed.publish(after)
	step(t, ctx, "live again after reconnect", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="b4"].v-NOT_A_MARK`)))
	// The server goes away for good: the page must say so.
	e.ts.CloseClientConnections()
	e.ts.Close()
	step(t, ctx, "connection lost shown", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="lost"]`)))
	screenshot(t, ctx, "web-operator-connection-lost")
}

// TestBrowserReview walks the supervisor pages in a real browser on a real
// store: list, detail, override with a note, audit line, CSV download
// through the session, day chart; then an operator is refused (403).
func TestBrowserReview(t *testing.T) {
	e := newEnv(t, nil)
	e.insert(mark.Record{ID: "acc1", At: e.clock.Now().Add(-time.Hour), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:FIRST", Verdict: mark.Accept, Mark: testMark(7)})
	e.rejected("rej1", 8, mark.ReasonUnderpaid, mark.ReasonExpired)
	e.insert(mark.Record{ID: "rej2", At: e.clock.Now().Add(time.Minute), Office: 426000, Counter: "B", Operator: opName,
		Text: "EPM1:AGAIN", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonReused}, Mark: testMark(7),
		FirstAccepted: &mark.Acceptance{RecordID: "acc1", At: e.clock.Now().Add(-time.Hour), Office: 426000, Counter: "A"}})
	ctx := browsertest.New(t)
	step(t, ctx, "log in as supervisor",
		chromedp.Navigate(e.ts.URL+"/review"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("review-list")),
	)
	screenshot(t, ctx, "web-review-list")
	step(t, ctx, "open rej1",
		chromedp.Click(chromedp.CSS(`a.open[href="/review/rej1"]`)),
		chromedp.WaitVisible(chromedp.ID("override-form")),
		chromedp.SendKeys(chromedp.ID("override-note"), "receipt shown"),
		chromedp.Click(chromedp.ID("override")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	audit, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("audit")))
	if err != nil || !strings.Contains(audit, "receipt shown") || !strings.Contains(audit, supName) {
		t.Fatalf("audit %q %v", audit, err)
	}
	screenshot(t, ctx, "web-review-overridden")
	step(t, ctx, "REUSED detail shows the first acceptance",
		chromedp.Navigate(e.ts.URL+"/review/rej2"),
		chromedp.WaitVisible(chromedp.ID("first-accepted")),
	)
	screenshot(t, ctx, "web-review-reused")
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/review/export.csv').then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || strings.Count(body, "\n") != 3 || !strings.Contains(body, "overridden") {
		t.Fatalf("CSV through the browser: %v\n%s", err, body)
	}
	step(t, ctx, "day chart", chromedp.Navigate(e.ts.URL+"/review/days"), chromedp.WaitVisible(chromedp.CSS(`#chart svg`)))
	screenshot(t, ctx, "web-review-days")
	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "log in as operator",
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("current")),
	)
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(e.ts.URL+"/review"))
	if err != nil || resp.Status != 403 {
		t.Fatalf("operator on /review: %v %v, want 403", resp, err)
	}
	screenshot(t, ctx, "web-operator-forbidden")
}

// TestBrowserFetchPostCarriesToken: a script POST through markdPost (token
// from the page's meta tag, header X-CSRF-Token) is accepted; the same POST
// without the header is refused.
func TestBrowserFetchPostCarriesToken(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("fp1", 41, mark.ReasonUnderpaid)
	e.rejected("fp2", 42, mark.ReasonUnderpaid)
	ctx := browsertest.New(t)
	step(t, ctx, "log in",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	with, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`markdPost('/review/fp1/confirm', new URLSearchParams({note: 'by script'})).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || with != 200 { // 303 to the detail page, followed by fetch
		t.Fatalf("POST with the token: %d %v", with, err)
	}
	without, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`fetch('/review/fp2/confirm', {method: 'POST', body: new URLSearchParams({note: 'x'})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || without != 403 {
		t.Fatalf("POST without the token: %d %v, want 403", without, err)
	}
	if a, _ := e.db.AuditFor(context.Background(), "fp1"); len(a) != 1 || a[0].Note != "by script" {
		t.Fatalf("audit of fp1: %+v", a)
	}
	if a, _ := e.db.AuditFor(context.Background(), "fp2"); len(a) != 0 {
		t.Fatalf("refused POST left audit lines: %+v", a)
	}
}

// loginTasks logs user in through the login form of the server at base
// and waits for the operator screen.
func loginTasks(base, user, pass string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), pass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("current")),
	)
}
