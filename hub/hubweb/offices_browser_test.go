package hubweb_test

import (
	"context"
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

func login(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	step(t, ctx, "log in", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), supName), chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("fleet")))
}

// TestBrowserOfficeDays fills the per office and day form, reads the
// table the chart draws and the invoice check per contract, downloads
// both CSVs, sees a bad office named, and holds the page to WCAG 2.1 AA
// in both languages at 1024×768 and 200 % zoom.
func TestBrowserOfficeDays(t *testing.T) {
	e := newEnv(t)
	// Office 426000 has rec-a (ACCEPT, contract 7, 50.00 ₽) today; add a
	// day before with a rejection and a second contract.
	day := e.now.Add(-24 * time.Hour)
	rej := hubtest.Rec("rec-rej", 426000, "1", mark.Reject, 4801)
	rej.At, rej.Reasons = day, []mark.Reason{mark.ReasonUnderpaid, mark.ReasonExpired}
	acc := hubtest.Rec("rec-c8", 426000, "1", mark.Accept, 4802)
	acc.At, acc.Mark.Contract, acc.Mark.TariffKop = day.Add(time.Minute), 8, 12345
	if _, err := e.store.Ingest(context.Background(), "office-a", &hub.UploadRequest{Records: []hub.Record{rej, acc}}, e.now); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	login(t, ctx, e)
	step(t, ctx, "offices page", chromedp.Navigate(e.ts.URL+"/offices"), chromedp.WaitVisible(chromedp.ID("office-form")))
	step(t, ctx, "show office", chromedp.SendKeys(chromedp.ID("office"), "426000"), chromedp.Click(chromedp.ID("show")),
		chromedp.WaitVisible(chromedp.ID("days")))
	for dayID, want := range map[string][2]string{"2026-11-24": {"1", "1"}, "2026-11-25": {"1", "0"}} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const r = document.querySelector('#days tr[data-day="`+dayID+`"]');
			return r ? [r.querySelector('[data-accepted]').dataset.accepted, r.querySelector('[data-rejected]').dataset.rejected] : [] })()`))
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("day %s: accepted/rejected %v (%v), want %v", dayID, got, err, want)
		}
	}
	if s := text(t, ctx, `#days tr[data-day="2026-11-24"] .reasons`); !strings.Contains(s, "EXPIRED 1") || !strings.Contains(s, "UNDERPAID 1") {
		t.Errorf("reasons of 2026-11-24: %q", s)
	}
	if s := text(t, ctx, `#contracts tr[data-day="2026-11-24"][data-contract="8"]`); !strings.Contains(s, "123.45") {
		t.Errorf("contract 8 on 2026-11-24: %q, want paid 123.45", s)
	}
	if s := text(t, ctx, `#contracts tr[data-day="2026-11-25"][data-contract="7"]`); !strings.Contains(s, "50.00") {
		t.Errorf("contract 7 on 2026-11-25: %q, want paid 50.00", s)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart svg[role="img"] g[data-day]').length`))
	if err != nil || bars != 7 {
		t.Errorf("chart bars: %d %v, want 7 (one per day of the range, empty ones too)", bars, err)
	}
	for _, lang := range []string{"ru", "en"} {
		next := url.QueryEscape("/offices?office=426000&from=2026-11-19&to=2026-11-25")
		step(t, ctx, "offices "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next="+next),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #days`)))
		browsertest.Check(t, ctx, "hub-offices-"+lang, nil)
	}
	for part, want := range map[string][]string{
		"days":      {"day,office,accepted,overridden,rejected,other,", "2026-11-24,426000,1,0,1,0,"},
		"contracts": {"day,office,contract,items,unverified,paid_kop,paid_rub", "2026-11-24,426000,8,1,0,12345,123.45", "2026-11-25,426000,7,1,0,5000,50.00"},
	} {
		csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.getElementById('csv-`+part+`').href).then(r => r.text())`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("CSV %s: %v", part, err)
		}
		for _, w := range want {
			if !strings.Contains(csv, w) {
				t.Errorf("CSV %s lacks %q:\n%s", part, w, csv)
			}
		}
	}
	step(t, ctx, "bad office", chromedp.Navigate(e.ts.URL+"/offices?office=4260001&from=2026-11-24&to=2026-11-25"), chromedp.WaitVisible(chromedp.ID("error")))
	if msg := text(t, ctx, "#error"); !strings.Contains(msg, `office "4260001"`) {
		t.Errorf("bad office says %q, want it named", msg)
	}
	browsertest.Check(t, ctx, "hub-offices-error-en", nil)
}
