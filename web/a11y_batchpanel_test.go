package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// TestBrowserAccessibilityBatchPanel holds to WCAG 2.1 AA, in both
// languages at 1024×768 and 200 % zoom with nothing drawn outside the
// panel, the operator screen's batch panel in the states its other tests
// do not check: the customer's list loaded with differences (the table of
// MISSING and EXTRA rows), a refusal said in the panel (the list sent
// without a file), and the batch closed with the links to its receipt.
// Then the printable receipt it links to, and the new controls reached
// with the keyboard.
func TestBrowserAccessibilityBatchPanel(t *testing.T) {
	e := newAPIEnv(t)
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator", loginTasks(e.ts.URL, opName, opPass))
	for i, lang := range []string{"ru", "en"} {
		id := e.openBatch(t, 1004417)
		for _, s := range []struct {
			serial   uint64
			contract uint32
			want     mark.Verdict
		}{{uint64(10 + 2*i), 1004417, mark.Accept}, {uint64(11 + 2*i), 777, mark.Reject}} {
			if a, res := e.scan(t, s.serial, s.contract, id, nil); a.code != http.StatusOK || res.Verdict != s.want {
				t.Fatalf("scan %d: %d %s", s.serial, a.code, res.Verdict)
			}
		}
		list := "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;1;20;100\n2;42600000000022;2;20;5000\n"
		if a := e.call(t, "POST", "/api/batches/"+id+"/expect", list, map[string]string{"Content-Type": "text/csv"}); a.code != http.StatusOK {
			t.Fatalf("expect: %d %s", a.code, a.body)
		}
		checkA11y(t, e.env, ctx, a11yPage{name: "operator-batch-diffs", path: "/", ready: "#batch-diffs table",
			contained: []string{"#batch"}}, lang)
		if i == 0 {
			browsertest.CheckKeyboard(t, ctx, "operator-batch-diffs")
		}
		checkA11y(t, e.env, ctx, a11yPage{name: "operator-batch-refused", path: "/", ready: "#batch-diffs table",
			contained: []string{"#batch"},
			then: func(t *testing.T, _ *env, ctx context.Context, _ string) {
				step(t, ctx, "send the list without a file", chromedp.Click(chromedp.ID("batch-upload")),
					chromedp.Poll[chromedp.Void](`document.getElementById('batch-msg').textContent.length > 0`))
			}}, lang)
		checkA11y(t, e.env, ctx, a11yPage{name: "operator-batch-closed", path: "/", ready: "#batch-close",
			contained: []string{"#batch"},
			then: func(t *testing.T, _ *env, ctx context.Context, _ string) {
				step(t, ctx, "close the batch", chromedp.Click(chromedp.ID("batch-close")), chromedp.WaitVisible(chromedp.ID("receipt-html")))
			}}, lang)
		if i == 0 {
			browsertest.CheckKeyboard(t, ctx, "operator-batch-closed")
			step(t, ctx, "open the receipt", chromedp.Click(chromedp.ID("receipt-html")), chromedp.WaitVisible(chromedp.CSS("h1")))
			browsertest.Check(t, ctx, "operator-receipt", nil)
			browsertest.CheckKeyboard(t, ctx, "operator-receipt")
		}
	}
}
