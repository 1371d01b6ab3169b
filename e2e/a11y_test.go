package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// checkBoth holds the page as it is to WCAG 2.1 AA (browsertest.Check at
// 1024×768 and 200 %) in Russian and in English, switched with the
// header's buttons as a person would.
func checkBoth(t *testing.T, ctx context.Context, name string, contained ...string) {
	t.Helper()
	for _, lang := range []string{"ru", "en"} {
		if has := run(t, ctx, "language buttons", chromedp.Evaluate[bool](`!!document.getElementById('lang-`+lang+`')`)); has {
			step(t, ctx, "language "+lang, chromedp.Click(chromedp.ID("lang-"+lang)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
		}
		browsertest.Check(t, ctx, name+"-"+lang, nil, contained...)
	}
}

// TestAccessibilityBatchPages holds the pages of the real daemon that need
// its batch service to WCAG 2.1 AA: the operator screen with the batch
// panel closed, open (totals, a mark of another contract in red) and
// closed (receipt links), the printable receipt, and the supervisors'
// batch list.
func TestAccessibilityBatchPages(t *testing.T) {
	const op, opPass, sup, supPass = "ivan", "operator-pass", "sveta", "supervisor-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	out := runCLI(t, "", "token", "add", "kassa", "--config", cfg)
	var token string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "markd_") {
			token = l
		}
	}
	if token == "" {
		t.Fatalf("markd token add printed no token: %q", out)
	}
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}, sup: {"supervisor", supPass}})
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "operator screen",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.ID("batch-open-form")))
	checkBoth(t, ctx, "e2e-operator-batch-none", "#current")

	step(t, ctx, "open a batch",
		chromedp.Focus(chromedp.ID("batch-contract")), chromedp.KeyEvent("1004417"), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")))
	var cur struct {
		ID string `json:"id"`
	}
	api := func(method, path string, body, v any) int { return tokenCall(t, d.URL, token, method, path, body, v) }
	if code := api("GET", "/api/batches/current", nil, &cur); code != 200 || cur.ID == "" {
		t.Fatalf("no current batch: %d", code)
	}
	sign := contractSigner(t)
	api("POST", "/api/scans", map[string]any{"text": sign(1, 1004417), "batch": cur.ID}, nil)
	api("POST", "/api/scans", map[string]any{"text": sign(60, 777)}, nil)
	step(t, ctx, "another contract's mark in red",
		chromedp.WaitVisible(chromedp.CSS(`#current.v-REJECT #reasons li[data-code="OTHER_CONTRACT"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bt-rejected') && document.getElementById('bt-rejected').textContent === '1'`))
	checkBoth(t, ctx, "e2e-operator-batch-open", "#current", "#batch")
	browsertest.CheckKeyboard(t, ctx, "e2e-operator-batch-open")

	step(t, ctx, "close the batch", chromedp.Click(chromedp.ID("batch-close")), chromedp.WaitVisible(chromedp.ID("receipt-html")))
	checkBoth(t, ctx, "e2e-operator-batch-closed", "#current", "#batch")
	step(t, ctx, "printable receipt", chromedp.Navigate(d.URL+"/batches/"+cur.ID+"/receipt"),
		chromedp.Poll[chromedp.Void](`document.body.innerText.includes('Квитанция')`))
	browsertest.Check(t, ctx, "e2e-receipt", nil)

	step(t, ctx, "log out", chromedp.Navigate(d.URL+"/"), chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	login(t, ctx, d.URL, sup, supPass)
	step(t, ctx, "batch list", chromedp.Navigate(d.URL+"/review/batches"), chromedp.WaitVisible(chromedp.ID("batch-list")))
	checkBoth(t, ctx, "e2e-review-batches")
	browsertest.CheckKeyboard(t, ctx, "e2e-review-batches")
	step(t, ctx, "rejections", chromedp.Navigate(d.URL+"/review"), chromedp.WaitVisible(chromedp.ID("review-list")))
	checkBoth(t, ctx, "e2e-review-list")
}
