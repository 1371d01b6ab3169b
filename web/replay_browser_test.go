package web

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/mark"
)

// TestBrowserFeedReplay: the operator screen's stream is cut by the
// server; the verdicts stored meanwhile come to the page as scan events
// after the browser reconnects with its Last-Event-ID (in commit order),
// so a missed REJECT is on screen and told to the page's parts (beep,
// batch panel), not only the newest scan.
func TestBrowserFeedReplay(t *testing.T) {
	e := newEnv(t, nil)
	ctx := operatorLogin(t, e)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scanEvents = [];
		document.addEventListener('markd:scan', function (e) { window.scanEvents.push(e.detail.id); }); true`)); err != nil {
		t.Fatalf("count the scan events: %v", err)
	}
	waitSubscriptions(t, e, 1, 20*time.Second)
	first := mark.Record{ID: "r1", At: e.clock.Now(), Office: 426000, Counter: "A", Source: "stdin", Verdict: mark.Accept,
		Mark: testMark(1), Text: "EPM1:r1"}
	e.insert(first)
	if e.feed.publish(first) == 0 {
		t.Fatal("the page did not subscribe to the live feed")
	}
	step(t, ctx, "live scan", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="r1"].v-ACCEPT`)))
	// The stream is cut; meanwhile a bad mark and then a good one are
	// scanned, with nobody subscribed to see them.
	e.clock.Add(time.Minute)
	e.rejected("r2", 2, mark.ReasonBadSignature)
	e.insert(mark.Record{ID: "r3", At: e.clock.Now(), Office: 426000, Counter: "A", Source: "stdin", Verdict: mark.Accept,
		Mark: testMark(3), Text: "EPM1:r3"})
	e.ts.CloseClientConnections()
	waitSubscriptions(t, e, 2, 20*time.Second)
	step(t, ctx, "the missed scans on screen",
		chromedp.WaitVisible(chromedp.CSS(`#recent tbody tr[data-id="r2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#current[data-id="r3"].v-ACCEPT`)))
	var got []string
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for !slices.Contains(got, "r3") {
		var err error
		if got, err = chromedp.Run(sctx, chromedp.Evaluate[[]string](`window.scanEvents`)); err != nil {
			t.Fatalf("scan events on the page %v: %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := []string{"r1", "r2", "r3"}; !slices.Equal(got, want) {
		t.Fatalf("scan events on the page %v, want %v (the missed ones replayed once, in order)", got, want)
	}
}

// TestBrowserFeedReplaySilentLink: a stream that went silent (a laptop
// lid, a dead proxy) is replaced by the page with a new EventSource, which
// carries the last id in its URL: the scan stored meanwhile comes then.
func TestBrowserFeedReplaySilentLink(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.heartbit = time.Hour // one health event per stream, then silence
	ctx := operatorLogin(t, e)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scanEvents = [];
		document.addEventListener('markd:scan', function (e) { window.scanEvents.push(e.detail.id); }); true`)); err != nil {
		t.Fatalf("count the scan events: %v", err)
	}
	first := mark.Record{ID: "s1", At: e.clock.Now(), Office: 426000, Counter: "A", Source: "stdin", Verdict: mark.Accept,
		Mark: testMark(1), Text: "EPM1:s1"}
	e.insert(first)
	if e.feed.publish(first) == 0 {
		t.Fatal("the page did not subscribe to the live feed")
	}
	step(t, ctx, "live scan", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="s1"].v-ACCEPT`)))
	e.clock.Add(time.Minute)
	e.rejected("s2", 2, mark.ReasonBadSignature) // the feed's message lost with the link
	waitSubscriptions(t, e, 2, 20*time.Second)
	var got []string
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for !slices.Contains(got, "s2") {
		var err error
		if got, err = chromedp.Run(sctx, chromedp.Evaluate[[]string](`window.scanEvents`)); err != nil {
			t.Fatalf("scan events on the page %v: %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if want := []string{"s1", "s2"}; !slices.Equal(got, want) {
		t.Fatalf("scan events on the page %v, want %v", got, want)
	}
	step(t, ctx, "the missed REJECT on the card", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="s2"].v-REJECT`)))
}
