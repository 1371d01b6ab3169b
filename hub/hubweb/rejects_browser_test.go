package hubweb_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/browsertest"
	"markd/mark"
)

// TestBrowserRejects ranks the offices by reject share through the form,
// reads each office's share and top reasons, follows an office to its
// days, downloads the CSV, sees a bad minimum named, and holds the page to
// WCAG 2.1 AA in both languages at 1024×768 and 200 % zoom.
func TestBrowserRejects(t *testing.T) {
	e := newEnv(t)
	// 426000 has rec-a (ACCEPT) today; add 1 ACCEPT and 2 REJECTs there (2
	// of 4 rejected), and 3 REJECTs at 101000 besides its two ACCEPTs (3 of
	// 5).
	var a, b []hub.Record
	for i, why := range [][]mark.Reason{{mark.ReasonUnderpaid, mark.ReasonExpired}, {mark.ReasonUnderpaid}} {
		r := hubtest.Rec(fmt.Sprintf("rj-a%d", i), 426000, "1", mark.Reject, 0)
		r.At, r.Reasons = e.now.Add(-time.Duration(i+1)*time.Hour), why
		a = append(a, r)
	}
	acc := hubtest.Rec("rj-acc", 426000, "1", mark.Accept, 4900)
	acc.At = e.now.Add(-24 * time.Hour)
	a = append(a, acc)
	for i := range 3 {
		r := hubtest.Rec(fmt.Sprintf("rj-b%d", i), 101000, "2", mark.Reject, 0)
		r.At, r.Reasons = e.now.Add(-time.Duration(i+1)*time.Minute), []mark.Reason{mark.ReasonRevoked}
		b = append(b, r)
	}
	ctx0 := context.Background()
	for term, recs := range map[string][]hub.Record{"office-a": a, "office-b": b} {
		if _, err := e.store.Ingest(ctx0, term, &hub.UploadRequest{Records: recs}, e.now); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	login(t, ctx, e)
	step(t, ctx, "rejects page", chromedp.Navigate(e.ts.URL+"/rejects"), chromedp.WaitVisible(chromedp.ID("rejects-form")))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rejects tr[data-office]').length`)); n != 0 {
		t.Errorf("with the default minimum of 20 marks %d offices are ranked, want none", n)
	}
	step(t, ctx, "rank", chromedp.SetValue(chromedp.ID("rj-min"), "2"), chromedp.Click(chromedp.ID("rj-show")),
		chromedp.WaitVisible(chromedp.ID("rejects")))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#rejects tr[data-office]')].map(r => r.dataset.office + ' ' + r.dataset.share)`))
	if want := []string{"101000 60.0", "426000 50.0"}; err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ranking %v (%v), want %v", got, err, want)
	}
	if s := text(t, ctx, `#rejects tr[data-office="426000"] .reasons`); !strings.Contains(s, "UNDERPAID 2") || !strings.Contains(s, "EXPIRED 1") {
		t.Errorf("reasons of 426000: %q", s)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.getElementById('rejects-csv').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	for _, w := range []string{"rank,office,accepted,rejected,overridden,other,reject_share_pct,top_reasons",
		"1,101000,2,3,0,0,60.0,REVOKED 3", "2,426000,2,2,0,0,50.0,UNDERPAID 2; EXPIRED 1"} {
		if err != nil || !strings.Contains(csv, w) {
			t.Errorf("CSV lacks %q (%v):\n%s", w, err, csv)
		}
	}
	for _, lang := range []string{"ru", "en"} {
		next := url.QueryEscape("/rejects?office=&from=2026-11-19&to=2026-11-25&min=2")
		step(t, ctx, "rejects "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next="+next),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #rejects`)))
		browsertest.Check(t, ctx, "hub-rejects-"+lang, nil)
	}
	step(t, ctx, "region 426", chromedp.Navigate(e.ts.URL+"/rejects?office=426&min=1"), chromedp.WaitVisible(chromedp.ID("rejects")))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rejects tr[data-office]').length`)); n != 1 {
		t.Errorf("region 426 ranks %d offices, want 1", n)
	}
	step(t, ctx, "office days", chromedp.Click(chromedp.CSS(`#rejects tr[data-office="426000"] a`)), chromedp.WaitVisible(chromedp.ID("days")))
	step(t, ctx, "bad min", chromedp.Navigate(e.ts.URL+"/rejects?min=many"), chromedp.WaitVisible(chromedp.ID("error")))
	if msg := text(t, ctx, "#error"); !strings.Contains(msg, "400") || !strings.Contains(msg, `min "many"`) {
		t.Errorf("bad min says %q, want 400 naming it", msg)
	}
	browsertest.Check(t, ctx, "hub-rejects-error-en", nil)
}
