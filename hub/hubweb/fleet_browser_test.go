package hubweb_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/internal/browsertest"
)

// TestBrowserFleetPages walks the fleet a page at a time both ways,
// filters a region by postal index prefix and the silent terminals,
// follows a count's link, sees a bad parameter named, and holds the paged
// page to WCAG 2.1 AA in both languages at 1024×768 and 200 % zoom.
func TestBrowserFleetPages(t *testing.T) {
	e := newEnvPaged(t, 2)
	ctx0 := context.Background()
	for _, tm := range []hub.Terminal{{Name: "office-d", Office: 426100}, {Name: "office-e", Office: 426200}} {
		tm.Created = e.now.Add(-time.Hour)
		if err := e.store.AddTerminal(ctx0, tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.NoteClock(ctx0, "office-d", 0, e.now.Add(-5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	login(t, ctx, e)
	shown := func(what string, want ...string) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#fleet tr[data-terminal]')].map(r => r.dataset.terminal)`))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: rows %v (%v), want %v", what, got, err, want)
		}
	}
	step(t, ctx, "first page", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("fleet")))
	shown("first page", "office-b", "office-c")
	if c := text(t, ctx, "#fleet-counts"); !strings.Contains(c, "5") {
		t.Errorf("counts %q, want a total of 5", c)
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-count]')].map(e => [e.dataset.count, e.textContent]))`))
	if want := map[string]string{"total": "5", "ok": "1", "silent": "4", "stale": "1", "hard": "1", "never": "2"}; err != nil || !mapsEqual(counts, want) {
		t.Errorf("counts %v (%v), want %v", counts, err, want)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[rel=prev]').length`)); n != 0 {
		t.Errorf("the first page links %d previous pages", n)
	}
	step(t, ctx, "next page", chromedp.Click(chromedp.CSS(`#fleet-nav-bottom a[rel=next]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-terminal="office-a"]`)))
	shown("second page", "office-a", "office-d")
	step(t, ctx, "last page", chromedp.Click(chromedp.CSS(`#fleet-nav-bottom a[rel=next]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-terminal="office-e"]`)))
	shown("last page", "office-e")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[rel=next]').length`)); n != 0 {
		t.Errorf("the last page links %d next pages", n)
	}
	step(t, ctx, "back", chromedp.Click(chromedp.CSS(`#fleet-nav-top a[rel=prev]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-terminal="office-d"]`)))
	shown("back to the second page", "office-a", "office-d")
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "paged fleet "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=%2F%3Fafter%3D190000%3Aoffice-c"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #fleet`)))
		shown("second page by its link "+lang, "office-a", "office-d")
		browsertest.Check(t, ctx, "hub-fleet-paged-"+lang, nil)
	}
	step(t, ctx, "region 426, silent", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("fleet-form")),
		chromedp.SendKeys(chromedp.ID("fleet-office"), "426"), chromedp.SetValue(chromedp.ID("fleet-state"), "silent"),
		chromedp.Click(chromedp.ID("fleet-show")), chromedp.WaitVisible(chromedp.CSS(`tr[data-terminal="office-e"]`)))
	shown("region 426 silent", "office-d", "office-e")
	if c := text(t, ctx, `[data-count="total"]`); c != "3" {
		t.Errorf("region 426 holds %q terminals, want 3", c)
	}
	step(t, ctx, "never seen in 426", chromedp.Click(chromedp.ID("count-never")), chromedp.WaitVisible(chromedp.CSS(`tr[data-terminal="office-e"]`)))
	shown("never seen in 426", "office-e")
	browsertest.Check(t, ctx, "hub-fleet-filtered-en", nil)
	step(t, ctx, "nothing matches", chromedp.Navigate(e.ts.URL+"/?office=9&state=stale"), chromedp.WaitVisible(chromedp.ID("fleet")))
	shown("nothing matches")
	step(t, ctx, "bad state", chromedp.Navigate(e.ts.URL+"/?state=asleep"), chromedp.WaitVisible(chromedp.ID("error")))
	if msg := text(t, ctx, "#error"); !strings.Contains(msg, "400") || !strings.Contains(msg, `state "asleep"`) {
		t.Errorf("bad state says %q, want 400 naming it", msg)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
