package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// hostile is text an attacker can get stored: a QR code carries any text
// (a NOT_A_MARK keeps it), a note is typed, an operator name comes from
// the counter. It tries markup, an attribute break-out and script.
func hostile(tag string) string {
	return `"><img src=x id=pwn-` + tag + ` onerror="document.title='pwned'"><script id=pwns-` + tag + `>document.title='pwned'</script>'` + tag
}

// noInjection fails the test when the page holds an element the hostile
// texts tried to make, or the title a script of theirs would set.
func noInjection(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[id^="pwn"]').length + (document.title === 'pwned' ? 1000 : 0)`))
	if err != nil || n != 0 {
		t.Fatalf("%s: injected elements or script ran (%d) %v", where, n, err)
	}
}

// TestBrowserStoredTextIsText: hostile stored texts (a scanned NOT_A_MARK,
// the operator's name, the counter's name, a review note) are shown as
// text on the operator screen (live and recent) and the supervisor's
// list and detail, in a real browser; none becomes markup or runs.
func TestBrowserStoredTextIsText(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.heartbit = 200 * time.Millisecond
	rej := mark.Record{ID: "x1", At: e.clock.Now(), Office: 426000, Counter: hostile("counter"), Operator: hostile("operator"),
		Text: hostile("text"), Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(5)}
	e.insert(rej)
	nam := mark.Record{ID: "x2", At: e.clock.Now().Add(time.Second), Counter: hostile("counter2"), Operator: hostile("operator2"),
		Source: "stdin", Verdict: mark.NotAMark, Text: hostile("qr")}
	e.insert(nam)
	if err := e.db.ConfirmRejection(context.Background(), "x1", supName, hostile("note")); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t)
	step(t, ctx, "operator logs in",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent tbody tr[data-id="x2"]`)),
	)
	live := nam
	live.ID = "x3"
	if e.feed.publish(live) == 0 {
		t.Fatal("the page did not subscribe to the live feed")
	}
	step(t, ctx, "see the hostile scan live", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="x3"]`)))
	meta, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("scan-meta")))
	if err != nil || !strings.Contains(meta, "<img src=x id=pwn-operator2") {
		t.Fatalf("operator screen: the operator's name not shown as text: %q %v", meta, err)
	}
	noInjection(t, ctx, "operator screen")

	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "supervisor logs in",
		chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	q := url.Values{"operator": {hostile("filter")}}
	for _, page := range []struct{ path, sel, want string }{
		{"/review", "#review-list", "<img src=x id=pwn-operator"},
		{"/review?" + q.Encode(), "#filters", ""},
		{"/review/x1", "#raw", "<script id=pwns-text>"},
		{"/review/x1", "#audit", "<img src=x id=pwn-note"},
	} {
		step(t, ctx, "open "+page.path, chromedp.Navigate(e.ts.URL+page.path), chromedp.WaitVisible(chromedp.CSS(page.sel)))
		if page.want != "" {
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(page.sel)))
			if err != nil || !strings.Contains(text, page.want) {
				t.Fatalf("%s %s: %q not shown as text: %q %v", page.path, page.sel, page.want, text, err)
			}
		}
		noInjection(t, ctx, page.path)
	}
}
