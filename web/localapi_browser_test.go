package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// TestBrowserScreenPostsJSON: the operator screen's own posts to the API
// (open a batch, a wedge scan) say application/json, which the API takes
// (a string body of fetch is text/plain, refused with 415).
func TestBrowserScreenPostsJSON(t *testing.T) {
	e := newAPIEnv(t)
	ctx := browsertest.New(t)
	step(t, ctx, "log in",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	for _, tc := range []struct {
		js   string
		want int
	}{
		{`markdPost('/api/batches', JSON.stringify({contract: 77})).then(r => r.status)`, 201},
		{`markdPost('/api/scans', JSON.stringify({text: 'x', source: 'browser-wedge'})).then(r => r.status)`, 200},
		{`fetch('/api/scans', {method: 'POST', body: '{"text": "x"}', headers: {'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content}}).then(r => r.status)`, 415},
	} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[int](tc.js, chromedp.EvalAwaitPromise))
		if err != nil || got != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.js, got, err, tc.want)
		}
	}
}
