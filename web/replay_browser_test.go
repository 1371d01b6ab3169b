package web

import (
	"context"
	"fmt"
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
	countScanEvents(t, ctx)
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
	got := scanEventsUntil(t, ctx, "r3")
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
	countScanEvents(t, ctx)
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
	got := scanEventsUntil(t, ctx, "s2")
	if want := []string{"s1", "s2"}; !slices.Equal(got, want) {
		t.Fatalf("scan events on the page %v, want %v", got, want)
	}
	step(t, ctx, "the missed REJECT on the card", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="s2"].v-REJECT`)))
}

// TestBrowserFeedReplayOneTone: the scans replayed after a reconnection
// sound once, the worst verdict's tone (REJECT: two oscillators), not one
// tone each, which overlapped into noise after a long gap.
func TestBrowserFeedReplayOneTone(t *testing.T) {
	e := newEnv(t, nil)
	ctx := operatorLogin(t, e)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.tones = 0; window.scanEvents = [];
		var made = BaseAudioContext.prototype.createOscillator;
		BaseAudioContext.prototype.createOscillator = function () { window.tones++; return made.apply(this, arguments); };
		document.addEventListener('markd:scan', function (e) { window.scanEvents.push(e.detail.id); }); true`)); err != nil {
		t.Fatalf("count the oscillators: %v", err)
	}
	step(t, ctx, "sound on", chromedp.Click(chromedp.ID("sound")))
	waitSubscriptions(t, e, 1, 20*time.Second)
	first := mark.Record{ID: "t1", At: e.clock.Now(), Office: 426000, Counter: "A", Source: "stdin", Verdict: mark.Accept,
		Mark: testMark(1), Text: "EPM1:t1"}
	e.insert(first)
	if e.feed.publish(first) == 0 {
		t.Fatal("the page did not subscribe to the live feed")
	}
	step(t, ctx, "live scan", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="t1"].v-ACCEPT`)))
	tones := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.tones`))
		if err != nil {
			t.Fatalf("oscillators: %v", err)
		}
		return n
	}
	// The sound button's own ACCEPT tone and the live scan's: one each.
	if n := tones(); n != 2 {
		t.Fatalf("%d oscillators after the sound button and one live ACCEPT, want 2", n)
	}
	e.clock.Add(time.Minute)
	for i := 2; i <= 4; i++ {
		e.rejected(fmt.Sprintf("t%d", i), uint64(i), mark.ReasonBadSignature)
	}
	for i := 5; i <= 6; i++ {
		e.insert(mark.Record{ID: fmt.Sprintf("t%d", i), At: e.clock.Now(), Office: 426000, Counter: "A", Source: "stdin",
			Verdict: mark.Accept, Mark: testMark(uint64(i)), Text: fmt.Sprintf("EPM1:t%d", i)})
	}
	e.ts.CloseClientConnections()
	waitSubscriptions(t, e, 2, 20*time.Second)
	step(t, ctx, "the missed scans on screen", chromedp.WaitVisible(chromedp.CSS(`#current[data-id="t6"].v-ACCEPT`)))
	// The health event after the replay sounds it; let a tone per scan
	// (3 REJECTs × 2 + 2 ACCEPTs) have its time to show.
	time.Sleep(500 * time.Millisecond)
	if n := tones(); n != 2+2 {
		t.Fatalf("%d oscillators after replaying 3 REJECTs and 2 ACCEPTs, want %d (one REJECT tone)", n, 2+2)
	}
}

// countScanEvents makes the page keep the ids of the scan events it is
// told (window.scanEvents).
func countScanEvents(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scanEvents = [];
		document.addEventListener('markd:scan', function (e) { window.scanEvents.push(e.detail.id); }); true`)); err != nil {
		t.Fatalf("count the scan events: %v", err)
	}
}

// scanEventsUntil returns the ids of the scan events the page was told
// once id is among them (20 s at most).
func scanEventsUntil(t *testing.T, ctx context.Context, id string) []string {
	t.Helper()
	var got []string
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for !slices.Contains(got, id) {
		var err error
		if got, err = chromedp.Run(sctx, chromedp.Evaluate[[]string](`window.scanEvents`)); err != nil {
			t.Fatalf("scan events on the page %v: %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return got
}
