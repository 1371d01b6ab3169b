package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// overriddenBatches are two batches of the cash-desk program, each with
// mark 2 of another contract rejected (OTHER_CONTRACT): in the first a
// supervisor accepts it while the batch is open, in the second after the
// batch was closed. It returns the ids.
func overriddenBatches(t *testing.T, e *apiEnv) (during, after string) {
	t.Helper()
	ctx := t.Context()
	batchOf := func(first uint64, overrideOpen bool) string {
		id := e.openBatch(t, 1004417)
		if a, res := e.scan(t, first, 1004417, id, nil); a.code != http.StatusOK || res.Verdict != mark.Accept {
			t.Fatalf("scan %d: %d %s", first, a.code, res.Verdict)
		}
		a, res := e.scan(t, first+1, 777, id, nil)
		if a.code != http.StatusOK || res.Verdict != mark.Reject {
			t.Fatalf("scan %d of another contract: %d %s", first+1, a.code, res.Verdict)
		}
		if overrideOpen {
			if err := e.db.OverrideAccept(ctx, res.ID, supName, "the customer's second contract"); err != nil {
				t.Fatal(err)
			}
		}
		if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusOK {
			t.Fatalf("close: %d %s", a.code, a.body)
		}
		if !overrideOpen {
			e.clock.Add(40 * time.Minute)
			if err := e.db.OverrideAccept(ctx, res.ID, supName, "the customer's second contract"); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	return batchOf(1, true), batchOf(11, false)
}

// TestBatchCSVOverrides: the batch CSV gives, after the columns of before,
// how many of the accepted a supervisor accepted while the batch was open
// (overridden) and how many rejected marks a supervisor accepted after it
// ended (accepted_later), beside the receipt's counts.
func TestBatchCSVOverrides(t *testing.T) {
	e := newAPIEnv(t)
	during, after := overriddenBatches(t, e)
	rows, col := batchesCSV(t, e, 3)
	if col["batch"] != 0 || col["refused_again"] != 16 {
		t.Errorf("CSV columns moved: %v", rows[0])
	}
	want := map[string]map[string]string{
		during: {"accepted": "2", "rejected": "0", "handed_back": "0", "overridden": "1", "accepted_later": "0"},
		after:  {"accepted": "1", "rejected": "1", "handed_back": "1", "overridden": "0", "accepted_later": "1"},
	}
	for _, r := range rows[1:] {
		for k, w := range want[r[0]] {
			i, ok := col[k]
			if !ok {
				t.Errorf("CSV has no column %s: %v", k, rows[0])
				continue
			}
			if r[i] != w {
				t.Errorf("CSV batch %s %s = %s, want %s", r[0], k, r[i], w)
			}
		}
	}
}

// TestBrowserBatchOverrides: the supervisors' batch list says of a batch
// whose rejected mark a supervisor accepted while it was open that it is
// among the accepted by a supervisor's decision, and of a batch closed
// before the decision that the mark was accepted later, by whom and when
// (the receipt handed over stays as it was); RU and EN, WCAG 2.1 AA with
// axe at 1024×768 and 200 %.
func TestBrowserBatchOverrides(t *testing.T) {
	e := newAPIEnv(t)
	during, after := overriddenBatches(t, e)
	ctx := browsertest.New(t)
	step(t, ctx, "log in as supervisor",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	want := map[string]map[string][]string{
		"ru": {during: {"2 (из них по решению руководителя: 1)"},
			after: {"1", "серия 12 принята позже: руководитель " + supName + ", 2026-11-25 10:40:00"}},
		"en": {during: {"2 (of them by a supervisor's decision: 1)"},
			after: {"1", "serial 12 accepted later by supervisor " + supName + ", 2026-11-25 10:40:00"}},
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e.env, ctx, a11yPage{name: "review-batches-overrides", path: "/review/batches", ready: "#batch-list"}, lang)
		for id, texts := range want[lang] {
			row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#batch-list tr[data-batch="`+id+`"]').innerText`))
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Join(strings.Fields(row), " ")
			for _, w := range texts {
				if !strings.Contains(flat, w) {
					t.Errorf("batch %s row (%s) lacks %q: %q", id, lang, w, flat)
				}
			}
		}
	}
}

// TestBrowserOperatorPanelAfterOverride: with the customer at the counter,
// a supervisor accepts on the review page the envelope of another
// contract the operator's batch panel counts as not accepted: the panel
// shows it accepted (items, sum, envelopes to hand back) without a new
// scan or a reload, as the cash-desk program's batch answer does.
func TestBrowserOperatorPanelAfterOverride(t *testing.T) {
	e := newAPIEnv(t)
	e.srv.heartbit = 200 * time.Millisecond
	id := e.openBatch(t, 1004417)
	if a, res := e.scan(t, 1, 1004417, id, nil); a.code != http.StatusOK || res.Verdict != mark.Accept {
		t.Fatalf("scan 1: %d %s", a.code, res.Verdict)
	}
	a, res := e.scan(t, 2, 777, id, nil)
	if a.code != http.StatusOK || res.Verdict != mark.Reject {
		t.Fatalf("scan 2 of another contract: %d %s", a.code, res.Verdict)
	}
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
		chromedp.Poll[chromedp.Void](`document.getElementById('bt-accepted') && document.getElementById('bt-accepted').textContent === '1'`),
	)
	sup := e.client()
	sup.login(supName, supPass)
	if code, body := sup.post("/review/"+res.ID+"/override", url.Values{"note": {"the customer's second contract"}}); code != http.StatusSeeOther {
		t.Fatalf("override: %d %s", code, body)
	}
	step(t, ctx, "the panel counts the envelope accepted",
		chromedp.Poll[chromedp.Void](`document.getElementById('bt-accepted').textContent === '2'`))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('batch-totals').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(text), " ")
	for _, w := range []string{"Принято, отправлений 2", "Не принято, конвертов (вернуть) 0"} {
		if !strings.Contains(flat, w) {
			t.Errorf("batch panel lacks %q: %q", w, flat)
		}
	}
	browsertest.Check(t, ctx, "operator-batch-override-ru", browsertest.Views, "#batch")
}
