package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

// TestBatchOnOperatorScreen is the batch walk of issue 10 with the
// keyboard only: the operator opens a batch (contract typed, Enter), the
// cash-desk program scans over POST /api/scans with its token, the screen
// counts live and shows a mark of another contract in red, the operator
// closes the batch (Tab to the button, Enter) and gets the receipt.
func TestBatchOnOperatorScreen(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
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
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "operator screen connected",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.ID("batch-open-form")),
	)
	step(t, ctx, "open a batch with the keyboard",
		chromedp.Focus(chromedp.ID("batch-contract")),
		chromedp.KeyEvent("1004417"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
	)
	info := run(t, ctx, "batch info", chromedp.Text(chromedp.ID("batch-info")))
	if !strings.Contains(info, "1004417") {
		t.Fatalf("batch info %q lacks the contract", info)
	}
	var cur struct {
		ID string `json:"id"`
	}
	api := func(method, path string, body, v any) int { return tokenCall(t, d.URL, token, method, path, body, v) }
	if code := api("GET", "/api/batches/current", nil, &cur); code != 200 || cur.ID == "" {
		t.Fatalf("the program does not see the batch: %d", code)
	}
	sign := contractSigner(t)
	for s := uint64(1); s <= 3; s++ {
		var res struct {
			Verdict mark.Verdict `json:"verdict"`
		}
		if code := api("POST", "/api/scans", map[string]any{"text": sign(s, 1004417), "batch": cur.ID}, &res); code != 200 || res.Verdict != mark.Accept {
			t.Fatalf("API scan %d: %d %s", s, code, res.Verdict)
		}
	}
	step(t, ctx, "three accepted, counted live",
		chromedp.Poll[chromedp.Void](`document.getElementById('bt-accepted') && document.getElementById('bt-accepted').textContent === '3'`))
	if paid := run(t, ctx, "paid", chromedp.Text(chromedp.ID("bt-paid"))); !strings.Contains(paid, "315,00") {
		t.Fatalf("paid %q, want 315,00 ₽", paid)
	}
	api("POST", "/api/scans", map[string]any{"text": sign(50, 777)}, nil)
	step(t, ctx, "another contract's mark in red",
		chromedp.WaitVisible(chromedp.CSS(`#current.v-REJECT #reasons li[data-code="OTHER_CONTRACT"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bt-rejected').textContent === '1'`))
	// The customer's list: items 1 and 2 and a 99 never brought (3 was
	// brought but is not listed).
	list := "n;serial;tracking;mail_class;weight_g;tariff_kop\n"
	for _, s := range []uint64{1, 2, 99} {
		list += fmt.Sprintf("%d;%d;%014d;2;20;10500\n", s, s, issuer.Tracking(426000, s))
	}
	req, _ := http.NewRequest("POST", d.URL+"/api/batches/"+cur.ID+"/expect", strings.NewReader(list))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("list: %v %v", resp, err)
	}
	resp.Body.Close()
	api("POST", "/api/scans", map[string]any{"text": sign(60, 777)}, nil) // the screen reloads the batch
	step(t, ctx, "differences shown",
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#batch-diffs tr[data-kind]').length === 2`))
	kinds := run(t, ctx, "kinds", chromedp.Evaluate[string](`[...document.querySelectorAll('#batch-diffs tr[data-kind]')].map(r => r.dataset.kind).join(',')`))
	if kinds != "MISSING,EXTRA" {
		t.Errorf("differences on the screen: %s, want MISSING,EXTRA", kinds)
	}
	screenshot(t, ctx, "batch-1-open")
	browsertest.Check(t, ctx, "e2e-operator-batch-open-ru", browsertest.Views, "#batch")
	step(t, ctx, "English", chromedp.Click(chromedp.ID("lang")))
	browsertest.Check(t, ctx, "e2e-operator-batch-open-en", browsertest.Views, "#batch")
	step(t, ctx, "Russian again", chromedp.Click(chromedp.ID("lang")))

	step(t, ctx, "close with the keyboard",
		chromedp.Focus(chromedp.ID("batch-upload")),
		chromedp.KeyEvent("\t"), // the differences' scroll region
		chromedp.KeyEvent("\t"), // the close button
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("receipt-html")),
	)
	focused := run(t, ctx, "focus after close", chromedp.Evaluate[string](`document.activeElement.id`))
	if focused != "receipt-html" {
		t.Errorf("focus after closing is on %q, want the receipt link", focused)
	}
	pdf := run(t, ctx, "download the receipt PDF", chromedp.Evaluate[string](
		`fetch(document.getElementById('receipt-pdf').href).then(r => r.headers.get('content-type') + ' ' + r.status + ' ' + r.headers.get('content-length'))`,
		chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(pdf, "application/pdf 200") {
		t.Fatalf("receipt download: %s", pdf)
	}
	screenshot(t, ctx, "batch-2-closed")
	step(t, ctx, "printable receipt",
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`body`)),
		chromedp.Poll[chromedp.Void](`document.body.innerText.includes('Квитанция')`),
	)
	text := run(t, ctx, "receipt text", chromedp.Evaluate[string](`document.body.innerText`))
	for _, want := range []string{cur.ID, "1004417", mark.Explain(mark.ReasonOtherContract).RU} {
		if !strings.Contains(text, want) {
			t.Errorf("printable receipt lacks %q", want)
		}
	}
	screenshot(t, ctx, "batch-3-receipt")
}

// tokenCall calls the local API of the daemon at base with a program's
// Bearer token, decodes the JSON answer into v (when not nil) and returns
// the status code.
func tokenCall(t *testing.T, base, token, method, path string, body, v any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// contractSigner signs registered letters of the shared test key 1 for
// office 426000, valid around the tests' clock, with a given serial and
// contract.
func contractSigner(t *testing.T) func(serial uint64, contract uint32) string {
	t.Helper()
	signer, today := testdata.Signer(t), testdata.Today(nil)
	return func(s uint64, contract uint32) string {
		m := testdata.ValidMark(s, today)
		m.Contract, m.TariffKop = contract, 10500
		return signer(m)
	}
}
