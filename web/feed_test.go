package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// waitSubscriptions waits until the page made n subscriptions to the feed.
func waitSubscriptions(t *testing.T, e *env, n int, within time.Duration) {
	t.Helper()
	for i := 0; e.feed.subscriptions() < n; i++ {
		if time.Duration(i)*10*time.Millisecond > within {
			t.Fatalf("%d subscriptions to the live feed, want %d", e.feed.subscriptions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func operatorLogin(t *testing.T, e *env) context.Context {
	t.Helper()
	ctx := browsertest.New(t)
	step(t, ctx, "log in",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
	)
	return ctx
}

// TestBrowserFeedMissedScan: a scan decided while the live stream was down
// is on the card once the page is connected again, not only in the list.
func TestBrowserFeedMissedScan(t *testing.T) {
	e := newEnv(t, nil)
	first := mark.Record{ID: "m1", At: e.clock.Now(), Counter: "A", Source: "stdin", Verdict: mark.Accept, Mark: testMark(1), Text: "EPM1:m1"}
	e.insert(first)
	ctx := operatorLogin(t, e)
	step(t, ctx, "card shows the last scan", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="m1"].v-ACCEPT`)))
	// The stream drops; meanwhile a bad mark is scanned (the daemon
	// recorded it, nobody was subscribed to see it).
	e.clock.Add(time.Minute)
	e.rejected("m2", 2, mark.ReasonBadSignature)
	e.ts.CloseClientConnections()
	waitSubscriptions(t, e, 2, 20*time.Second)
	step(t, ctx, "card shows the scan missed while away",
		chromedp.WaitVisible(chromedp.CSS(`#recent tbody tr[data-id="m2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#current[data-id="m2"].v-REJECT`)))
}

// TestBrowserFeedSilentLink: a stream that stays open but silent (a dead
// link the browser has not noticed) is replaced by a new one, and live
// verdicts come again.
func TestBrowserFeedSilentLink(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.heartbit = time.Hour // one health event per stream, then silence
	ctx := operatorLogin(t, e)
	waitSubscriptions(t, e, 2, 20*time.Second)
	step(t, ctx, "connected again", chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)))
	r := mark.Record{ID: "s1", At: e.clock.Now(), Counter: "A", Source: "stdin", Verdict: mark.Reject,
		Reasons: []mark.Reason{mark.ReasonExpired}, Mark: testMark(3)}
	if e.feed.publish(r) == 0 {
		t.Fatal("no live subscription after the silent link was replaced")
	}
	step(t, ctx, "live verdict after the new stream", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="s1"].v-REJECT`)))
}
