package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/testdata"
)

// panelWait is how long a change made elsewhere may take to show on the
// batch panel: its heartbeat is 2 s; the rest is slack for a busy host.
const panelWait = 6 * time.Second

// TestBatchPanelFollowsEngineerList: the engineer loads the customer's
// list with `markd batch expect FILE` (another process on the same store)
// while the operator screen shows the open batch: the panel shows the
// list within its heartbeat, without a scan, and a corrected list that
// replaces it too. Until 2026-12-04 the panel showed such a list only at
// the next scan (it followed only the requests the daemon itself served).
func TestBatchPanelFollowsEngineerList(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	list, err := os.ReadFile(testdata.Path(t, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "zakaz-17.csv")
	var big strings.Builder
	big.WriteString("n;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&big, "%d;1;20;5000;%d\n", i, 8_000_000_000+i)
	}
	second := filepath.Join(dir, "zakaz-17-fixed.csv")
	for p, b := range map[string][]byte{first: list, second: []byte(big.String())} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "open a batch",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.Focus(chromedp.ID("batch-contract")),
		chromedp.KeyEvent("1004417\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
	)
	// Two heartbeats after the open, so that what the panel learns of its
	// own open is done with (else it might read the batch again just after
	// the command by chance).
	step(t, ctx, "two heartbeats",
		chromedp.Evaluate[chromedp.Void](`window.beats = 0; document.addEventListener('markd:health', () => window.beats++)`),
		chromedp.Poll[chromedp.Void](`window.beats >= 2`))
	for _, c := range []struct {
		file string
		want int
	}{{first, 12}, {second, 30}} {
		out := runCLI(t, "", "batch", "expect", c.file, "--config", cfg)
		start := time.Now()
		step(t, ctx, fmt.Sprintf("%s on the panel without a scan", filepath.Base(c.file)),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#batch-diffs tr[data-kind="MISSING"]').length === %d`, c.want),
				chromedp.WithPollingTimeout(panelWait)))
		t.Logf("%s (markd batch expect: %s) on the panel %v after the command returned", filepath.Base(c.file), strings.TrimSpace(out), time.Since(start).Round(10*time.Millisecond))
	}
	browsertest.Check(t, ctx, "e2e-operator-batch-cli-list", browsertest.Views, "#batch")
}

// TestBatchReceiptAfterReload: the operator closes a batch and the page
// is reloaded (or the browser restarted and the operator logs in again)
// before the receipt was printed: the panel offers the closed batch's
// receipt links as right after closing, and they print. Once the next
// customer's batch opens (here the cash desk's, so without a scan) the
// links go, and a reload does not bring them back. Until 2026-12-04 a
// reload lost the links: only a supervisor could print the receipt again.
func TestBatchReceiptAfterReload(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	desk.url = d.URL
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "open a batch",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.Focus(chromedp.ID("batch-contract")),
		chromedp.KeyEvent("1004417\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
	)
	id := run(t, ctx, "batch id", chromedp.Evaluate[string](`fetch('/api/batches/current').then(r => r.json()).then(b => b.id)`, chromedp.EvalAwaitPromise))
	step(t, ctx, "close", chromedp.Click(chromedp.ID("batch-close")), chromedp.WaitVisible(chromedp.ID("receipt-html")))
	links := func(what string) {
		t.Helper()
		href := run(t, ctx, what, chromedp.Evaluate[string](`document.getElementById('receipt-html').getAttribute('href') + ' ' + document.getElementById('receipt-pdf').getAttribute('href')`))
		if want := "/batches/" + id + "/receipt /api/batches/" + id + "/receipt.pdf"; href != want {
			t.Errorf("%s: receipt links %q, want %q", what, href, want)
		}
	}
	links("after closing")
	step(t, ctx, "reload",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.ID("receipt-html")))
	links("after a reload")
	if f := run(t, ctx, "focus after the reload", chromedp.Evaluate[string](`document.activeElement.id`)); f == "receipt-html" {
		t.Errorf("after a reload the focus is on the receipt link: one Enter from printing it without looking")
	}
	lead := run(t, ctx, "lead", chromedp.Evaluate[string](`document.querySelector('#batch-done .ru').textContent`))
	if !strings.Contains(lead, "1004417") || !strings.Contains(lead, "закрыта") {
		t.Errorf("after a reload the links say %q, want which batch (its contract) and that it was closed", lead)
	}
	browsertest.Check(t, ctx, "e2e-operator-batch-reloaded", browsertest.Views, "#batch")
	pdf := run(t, ctx, "the receipt PDF", chromedp.Evaluate[string](
		`fetch(document.getElementById('receipt-pdf').href).then(r => r.headers.get('content-type') + ' ' + r.status)`, chromedp.EvalAwaitPromise))
	if pdf != "application/pdf 200" {
		t.Errorf("receipt PDF after a reload: %s", pdf)
	}
	step(t, ctx, "the printable receipt",
		chromedp.Click(chromedp.ID("receipt-html")),
		chromedp.WaitNotPresent(chromedp.ID("batch")),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	if text := run(t, ctx, "receipt text", chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(text, id) {
		t.Errorf("the printable receipt opened after a reload does not name batch %s", id)
	}

	// The browser restarted: a new one, logged in again.
	ctx2 := browsertest.New(t)
	login(t, ctx2, d.URL, op, opPass)
	step(t, ctx2, "the screen in a new browser",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.ID("receipt-html")))

	step(t, ctx, "back to the screen",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("receipt-html")))
	desk.do(t, "POST", "/api/batches", []byte(`{"contract": 2002002}`), "application/json", 201)
	for what, bctx := range map[string]context.Context{"the first browser": ctx, "the new browser": ctx2} {
		step(t, bctx, "the next batch opened: no links in "+what,
			chromedp.Poll[chromedp.Void](`document.getElementById('batch-info').textContent.includes('2002002')`, chromedp.WithPollingTimeout(panelWait)),
			chromedp.Poll[chromedp.Void](`document.getElementById('batch-done').hidden`))
	}
	step(t, ctx, "reload with the next batch open",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
		chromedp.Poll[chromedp.Void](`document.getElementById('batch-info').textContent.includes('2002002')`))
	// Time for a stray answer to draw the old links.
	time.Sleep(500 * time.Millisecond)
	if hidden := run(t, ctx, "links after the reload", chromedp.Evaluate[bool](`document.getElementById('batch-done').hidden`)); !hidden {
		t.Errorf("with the next batch open a reload shows the closed batch's receipt links")
	}
}
