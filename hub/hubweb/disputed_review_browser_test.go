package hubweb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/internal/browsertest"
)

// TestBrowserDisputedReview: two disputed acceptances come in through
// the real API; on the alerts page a supervisor reviews one with the
// keyboard alone (Tab to its note, type, Enter), which moves it to the
// reviewed ones apart with who, when and the note, while the other stays
// open first; a review without a note is refused naming the note; the
// CSV carries each one's review state; opening it again puts it back
// with the reason; both steps are in the audit and the store's counts;
// the page holds WCAG 2.1 AA and the keyboard walk in both languages.
func TestBrowserDisputedReview(t *testing.T) {
	e := newEnv(t)
	if raw := uploadOtherOffice(t, e, otherOffice{"rec-x", 4801}, otherOffice{"rec-y", 4802}); !strings.Contains(raw, `"disputed":2`) ||
		!strings.Contains(raw, `"disputed_ids":["rec-x","rec-y"]`) {
		t.Fatalf("upload: %s", raw)
	}
	ctx := browsertest.New(t)
	login(t, ctx, e)
	step(t, ctx, "alerts", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.ID("disputed")),
		chromedp.WaitVisible(chromedp.ID("no-reviewed")))
	if ids := rowIDs(t, ctx, "#disputed"); ids != "rec-y,rec-x" {
		t.Fatalf("open, newest scan first: %s", ids)
	}
	browsertest.CheckKeyboard(t, ctx, "hub-disputed-open")

	// The browser asks for the note itself (required); without that, the
	// collector refuses it and says so.
	step(t, ctx, "review without a note",
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#disputed input[name=note]').forEach(i => i.required = false)`),
		chromedp.Click(chromedp.CSS(`#disputed tr[data-record="rec-x"] button[value=reviewed]`)), chromedp.WaitVisible(chromedp.ID("error")))
	if msg := text(t, ctx, "#error"); !strings.Contains(msg, "400") || !strings.Contains(msg, "note") {
		t.Errorf("review without a note: %q", msg)
	}

	const note = "customer posted at the wrong office; charged again"
	step(t, ctx, "review with the keyboard", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.ID("disputed")),
		chromedp.Focus(chromedp.CSS(`#disputed tr[data-record="rec-x"] input[name=note]`)),
		chromedp.KeyEvent(note), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("dispute-flash")))
	if f := text(t, ctx, "#dispute-flash"); !strings.Contains(f, "rec-x") {
		t.Errorf("flash %q does not name rec-x", f)
	}
	if ids := rowIDs(t, ctx, "#disputed"); ids != "rec-y" {
		t.Errorf("open after the review: %s, want rec-y", ids)
	}
	row := text(t, ctx, `#disputed-reviewed tr[data-record="rec-x"]`)
	for _, want := range []string{note, supName, e.now.UTC().Format("02.01.2006 15:04:05 MST"), "WRONG_OFFICE", "4801"} {
		if !strings.Contains(row, want) {
			t.Errorf("reviewed row %q lacks %q", row, want)
		}
	}
	if got := text(t, ctx, "#disputed-total") + text(t, ctx, "#reviewed-total"); got != "(1)(1)" {
		t.Errorf("totals %s, want (1)(1)", got)
	}
	browsertest.CheckKeyboard(t, ctx, "hub-disputed-reviewed")
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "alerts "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/alerts"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #disputed-reviewed`)))
		browsertest.Check(t, ctx, "hub-disputed-review-"+lang, nil)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/disputed.csv').then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
		f := strings.Split(l, ",")
		lines[f[5]] = l
	}
	if l := lines["rec-x"]; !strings.HasSuffix(l, ",reviewed,"+e.now.UTC().Format("2006-01-02T15:04:05Z")+","+supName+","+note) {
		t.Errorf("CSV row of rec-x: %q", l)
	}
	if l := lines["rec-y"]; !strings.HasSuffix(l, ",open,,,") {
		t.Errorf("CSV row of rec-y: %q", l)
	}

	step(t, ctx, "open again", chromedp.Navigate(e.ts.URL+"/lang?set=en&next=/alerts"), chromedp.WaitVisible(chromedp.ID("disputed-reviewed")),
		chromedp.SendKeys(chromedp.CSS(`#disputed-reviewed tr[data-record="rec-x"] input[name=note]`), "customer denies it"),
		chromedp.Click(chromedp.CSS(`#disputed-reviewed tr[data-record="rec-x"] button[value=open]`)),
		chromedp.WaitVisible(chromedp.ID("no-reviewed")))
	if f := text(t, ctx, "#dispute-flash"); !strings.Contains(f, "rec-x opened again") {
		t.Errorf("flash %q", f)
	}
	if row := text(t, ctx, `#disputed tr[data-record="rec-x"]`); !strings.Contains(row, "Opened again: customer denies it ("+supName+")") {
		t.Errorf("reopened row %q", row)
	}
	audit, err := e.store.DisputeAudit(context.Background(), "office-d", "rec-x")
	if err != nil || len(audit) != 2 || audit[0].State != hub.DisputeReviewed || audit[0].Note != note || audit[0].Actor != supName ||
		audit[1].State != hub.DisputeOpen || audit[1].Note != "customer denies it" {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	if st, err := e.store.Stats(context.Background()); err != nil || st.DisputedOpen != 2 || st.DisputedReviewed != 0 {
		t.Fatalf("stats: %+v %v", st, err)
	}
}

// rowIDs is the data-record of each body row of table sel, joined by ",".
func rowIDs(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+sel+` tbody tr')].map(r => r.dataset.record)`))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids, ",")
}
