package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
	"markd/store"
)

// a11yLongData adds what the states below need on top of a11yData: many
// rejections (more than one review page), a record with a very long
// scanned text and a supervisor's note of the longest length allowed,
// and pending ones for the review actions.
func (e *env) a11yLongData() {
	ctx := context.Background()
	for i := range 2*pageSize + 7 {
		e.rejected(fmt.Sprintf("x-many-%03d", i), uint64(1000+i), mark.ReasonUnderpaid)
	}
	long := strings.Repeat("EPM1:"+strings.Repeat("Q", 95), 40) // 4 000 characters without a space
	// An operator's full name, long, with a hyphenated part.
	e.insert(mark.Record{ID: "x-long", At: e.clock.Now(), Office: 426000, Counter: "A",
		Operator: "Александра Константиновна Преображенская-Верхнеднепровская",
		Text:     long, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}, Mark: testMark(900)})
	// A note as long as the form takes, with words and one long unbroken
	// run (a pasted link), as people write them.
	note := "https://track.example.ru/" + strings.Repeat("a1b2c3d4", 20) + " " +
		strings.Repeat("Клиент предъявил квитанцию об оплате, сверено с журналом кассы. ", 40)
	note = string([]rune(note)[:maxNote])
	if err := e.db.OverrideAccept(ctx, "x-long", supName, note); err != nil {
		e.t.Fatal(err)
	}
	// The collector's word that a mark accepted here was accepted at
	// another office too: on the review list and the record's page.
	e.insert(mark.Record{ID: "x-here", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:HERE", Verdict: mark.Accept, Mark: testMark(31)})
	alert := mark.ReuseAlert{ID: 901, RecordID: "x-here", Serial: 31, OtherTerminal: "office-101000-" + strings.Repeat("long-terminal-name", 4),
		Other: mark.Acceptance{RecordID: "there9", At: e.clock.Now().Add(-time.Hour), Office: 101000, Counter: "7"}, Detected: e.clock.Now()}
	if err := e.db.CompleteUpload(ctx, store.UploadDone{Alerts: []mark.ReuseAlert{alert}}); err != nil {
		e.t.Fatal(err)
	}
	for _, lang := range []string{"ru", "en"} {
		e.rejected("x-confirm-"+lang, uint64(950+len(lang)*7+int(lang[0])), mark.ReasonExpired)
	}
}

// fillAndSubmit types into the fields (CSS selector → text), clicks
// submit and waits until ready shows.
func fillAndSubmit(fields [][2]string, submit, ready string) func(*testing.T, *env, context.Context, string) {
	return func(t *testing.T, _ *env, ctx context.Context, _ string) {
		t.Helper()
		var acts []chromedp.Action[chromedp.Void]
		for _, f := range fields {
			sel, _ := json.Marshal(f[0])
			val, _ := json.Marshal(f[1])
			acts = append(acts, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+string(sel)+`).value = `+string(val)))
		}
		acts = append(acts, chromedp.Evaluate[chromedp.Void](`document.querySelector('`+ready+`') && document.querySelector('`+ready+`').remove()`),
			chromedp.Click(chromedp.CSS(submit)), chromedp.WaitVisible(chromedp.CSS(ready)))
		step(t, ctx, "submit "+submit, acts...)
	}
}

// wantText fails t unless the element sel says one of want.
func wantText(t *testing.T, ctx context.Context, sel string, want ...string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	for _, w := range want {
		if strings.Contains(got, w) {
			return
		}
	}
	t.Errorf("%s says %q, want one of %q", sel, got, want)
}

// a11yLoginStates are the login page's answers to a refused login.
func a11yLoginStates() []a11yPage {
	return []a11yPage{
		{name: "login-wrong-password", path: "/login", ready: "#login-form", via: "POST /login",
			then: func(t *testing.T, e *env, ctx context.Context, lang string) {
				fillAndSubmit([][2]string{{"#user", "ghost"}, {"#password", "not it"}}, "#login-submit", "#error")(t, e, ctx, lang)
				wantText(t, ctx, "#error", "Неверное имя", "Wrong name or password")
			}},
		{name: "login-too-many", path: "/login", ready: "#login-form", via: "POST /login",
			then: func(t *testing.T, e *env, ctx context.Context, lang string) {
				// The env allows 3 failures a minute for a name: the 4th
				// try at most is refused with 429.
				for i := 0; i < 4; i++ {
					fillAndSubmit([][2]string{{"#user", "nobody"}, {"#password", "not it"}}, "#login-submit", "#error")(t, e, ctx, lang)
				}
				wantText(t, ctx, "#error", "Слишком много попыток", "Too many attempts")
			}},
		{name: "login-form-expired", path: "/login", ready: "#login-form", via: "POST /login",
			then: func(t *testing.T, e *env, ctx context.Context, lang string) {
				step(t, ctx, "spoil the form token", chromedp.SetValue(chromedp.CSS(`#login-form input[name=csrf]`), "stale"))
				fillAndSubmit([][2]string{{"#user", "ghost"}, {"#password", "not it"}}, "#login-submit", "#error")(t, e, ctx, lang)
				wantText(t, ctx, "#error", "Форма устарела", "The form expired")
			}},
		{name: "login-session-ended", path: "/login?ended=ended&next=/", ready: "#flash"},
		{name: "login-session-idle", path: "/login?ended=idle&next=/", ready: "#flash"},
	}
}

// a11yStatePages are the supervisor's pages in the states the first
// accessibility test does not reach: empty, long, refused, error pages.
func a11yStatePages(batchID string) []a11yPage {
	return []a11yPage{
		{name: "review-list-empty", path: "/review?counter=ZZ", ready: "#review-list"},
		{name: "review-list-collector-alert", path: "/review", ready: "#alerts"},
		{name: "review-detail-collector-alert", path: "/review/x-here", ready: "#record-alerts"},
		{name: "review-list-many", path: "/review?page=2", ready: "#pages"},
		{name: "review-detail-long-note", path: "/review/x-long", ready: "#audit"},
		{name: "review-detail-refused", path: "/review/x-rej", ready: "#override-form", via: "POST /review/{id}/override",
			then: func(t *testing.T, e *env, ctx context.Context, lang string) {
				// The browser asks for the note itself; without that the
				// page says what is missing.
				step(t, ctx, "no required note", chromedp.Evaluate[chromedp.Void](`document.getElementById('override-note').required = false`))
				fillAndSubmit(nil, "#override", "#error")(t, e, ctx, lang)
			}},
		{name: "review-detail-confirmed", path: "/review/x-rej", ready: "#fields",
			then: func(t *testing.T, e *env, ctx context.Context, lang string) {
				step(t, ctx, "open x-confirm-"+lang, chromedp.Navigate(e.ts.URL+"/review/x-confirm-"+lang), chromedp.WaitVisible(chromedp.ID("confirm-form")))
				fillAndSubmit([][2]string{{"#confirm-note", "checked with the customer"}}, "#confirm", "#flash")(t, e, ctx, lang)
			}},
		{name: "review-days-empty", path: "/review/days?from=2020-01-01&to=2020-01-07", ready: "#chart"},
		{name: "review-batches-empty", path: "/review/batches?contract=1", ready: "#batch-list"},
		{name: "receipt", path: "/batches/" + batchID + "/receipt", ready: "h1", lang: "ru"},
		{name: "bad-request", path: "/review?from=not-a-day", ready: "#error"},
		{name: "no-such-page", path: "/no/such/page", ready: "h1"},
	}
}

// TestBrowserAccessibilityStates holds to WCAG 2.1 AA, in both languages
// at 1024×768 and at 200 % zoom, the states of the pages the other
// accessibility tests do not reach: the login page's refusals (wrong
// password, 429, an expired form) and its notices of a session that
// ended; the review list empty and past its first page; a detail with
// the longest note and a very long scanned text; a refused and a done
// review action; empty day chart and batch list; a batch's printable
// receipt; a 400 and a 404 for a path no route takes.
func TestBrowserAccessibilityStates(t *testing.T) {
	e, batchID := batchEnv(t)
	e.a11yData()
	e.a11yLongData()
	ctx := browsertest.New(t)
	for _, p := range a11yLoginStates() {
		for _, lang := range []string{"ru", "en"} {
			t.Run(p.name+"-"+lang, func(t *testing.T) { checkA11y(t, e, ctx, p, lang) })
		}
	}
	step(t, ctx, "log in as supervisor", loginTasks(e.ts.URL, supName, supPass))
	for _, p := range a11yStatePages(batchID) {
		for _, lang := range []string{"ru", "en"} {
			if p.lang != "" && p.lang != lang {
				continue // a page in one language only
			}
			t.Run(p.name+"-"+lang, func(t *testing.T) { checkA11y(t, e, ctx, p, lang) })
		}
	}
}
