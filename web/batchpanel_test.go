package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// TestOperatorLastBatch: GET /operator/batch/last, which the batch panel
// reads with no batch open (after a reload), offers the receipt of the
// counter's newest batch only when that one is closed, and to an operator
// only when they may print it (closed today: httpapi.OperatorBatch, as
// the receipt routes); a supervisor on the screen gets it any day. Once
// another batch opened, or the newest was cancelled, there is nothing to
// offer: the previous customer's receipt is not beside a new batch.
func TestOperatorLastBatch(t *testing.T) {
	e := newAPIEnv(t)
	op, sup := e.client(), e.client()
	op.login(opName, opPass)
	sup.login(supName, supPass)
	get := func(c *client) (int, lastBatchView) {
		t.Helper()
		code, body, _ := c.do("GET", "/operator/batch/last", nil, map[string]string{"Accept": "application/json"})
		var v lastBatchView
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("answer %q: %v", body, err)
			}
		}
		return code, v
	}
	end := func(id, how string) {
		t.Helper()
		if a := e.call(t, "POST", "/api/batches/"+id+"/"+how, "", nil); a.code != http.StatusOK {
			t.Fatalf("%s: %d %s", how, a.code, a.body)
		}
	}
	if code, _ := get(op); code != http.StatusNotFound {
		t.Errorf("no batch yet: %d, want 404", code)
	}
	first := e.openBatch(t, 1004417)
	if code, _ := get(op); code != http.StatusNotFound {
		t.Errorf("a batch open: %d, want 404", code)
	}
	end(first, "close")
	code, v := get(op)
	if code != http.StatusOK || v.ID != first || v.Contract != 1004417 ||
		v.Receipt != "/batches/"+first+"/receipt" || v.PDF != "/api/batches/"+first+"/receipt.pdf" || v.Closed == "" {
		t.Fatalf("closed today, operator: %d %+v", code, v)
	}
	for _, link := range []string{v.Receipt, v.PDF} {
		if code, _, _ := op.do("GET", link, nil, nil); code != http.StatusOK {
			t.Errorf("operator prints %s: %d", link, code)
		}
	}
	// The next day: the operator may no longer print it, a supervisor may.
	e.clock.Add(24 * time.Hour)
	op, sup = e.client(), e.client() // the sessions of yesterday ran out
	op.login(opName, opPass)
	sup.login(supName, supPass)
	if code, _ := get(op); code != http.StatusForbidden {
		t.Errorf("closed yesterday, operator: %d, want 403 (as its receipt: %s)", code, v.Receipt)
	}
	if code, _, _ := op.do("GET", v.Receipt, nil, nil); code != http.StatusForbidden {
		t.Errorf("closed yesterday, operator prints it: %d, want 403", code)
	}
	if code, v := get(sup); code != http.StatusOK || v.ID != first {
		t.Errorf("closed yesterday, supervisor: %d %+v", code, v)
	}
	second := e.openBatch(t, 1004417)
	if code, _ := get(sup); code != http.StatusNotFound {
		t.Errorf("the next batch open: %d, want 404", code)
	}
	end(second, "cancel")
	if code, _ := get(sup); code != http.StatusNotFound {
		t.Errorf("the newest batch cancelled: %d, want 404 (not the one before it)", code)
	}
}

// TestBrowserBatchClosing: closing says at once that it is under way
// (with a list of 100 000 items the receipt takes seconds to make), in
// the panel's live region with the list's and the scans' counts, and
// holds both buttons, so that a second press (a double click) sends no
// second close; then the result, the focus on the receipt link. The
// page's close request is held in the page until the test lets it go, so
// the state under way is checked by axe in both languages at 1024×768 and
// 200 %. Until 2026-12-04 the panel said nothing until the answer came
// and a double click sent two closes.
func TestBrowserBatchClosing(t *testing.T) {
	e := newAPIEnv(t)
	id := e.openBatch(t, 1004417)
	for s := uint64(1); s <= 2; s++ {
		if a, res := e.scan(t, s, 1004417, id, nil); a.code != http.StatusOK || res.Verdict != mark.Accept {
			t.Fatalf("scan %d: %d %s", s, a.code, res.Verdict)
		}
	}
	list := "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;1;20;100\n2;42600000000022;2;20;5000\n3;42600000000039;2;20;5000\n"
	if a := e.call(t, "POST", "/api/batches/"+id+"/expect", list, map[string]string{"Content-Type": "text/csv"}); a.code != http.StatusOK {
		t.Fatalf("expect: %d %s", a.code, a.body)
	}
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator", loginTasks(e.ts.URL, opName, opPass))
	step(t, ctx, "the batch on the panel",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#batch-diffs table")),
		// The page's close requests wait until the test lets them go.
		chromedp.Evaluate[chromedp.Void](`window.closes = 0; (function () {
			var f = window.fetch;
			window.fetch = function (u, o) {
				if (!/\/close(\?|$)/.test(String(u))) return f.apply(this, arguments);
				window.closes++;
				window.closeURL = String(u);
				return new Promise(function (res) { window.letClose = function () { res(f(u, o)); }; });
			};
		})()`),
		chromedp.Evaluate[chromedp.Void](`var b = document.getElementById('batch-close'); b.click(); b.click()`))
	var st struct {
		Closes        int
		Msg           string
		Close, Cancel bool
		Busy          string
	}
	raw := evalString(t, ctx, `JSON.stringify({closes: window.closes, msg: document.querySelector('#batch-msg .ru').textContent,
		close: document.getElementById('batch-close').disabled, cancel: document.getElementById('batch-cancel').disabled,
		busy: document.getElementById('batch-box').getAttribute('aria-busy')})`)
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	if st.Closes != 1 {
		t.Errorf("a double click on close sent %d closes, want 1", st.Closes)
	}
	// The close asks for the differences the panel would draw only, not
	// all of a list of 100 000 (until 2026-12-04 it sent no ?rows=).
	if u := evalString(t, ctx, `window.closeURL`); !strings.HasSuffix(u, "/api/batches/"+id+"/close?rows=500") {
		t.Errorf("the page's close went to %q, want …/api/batches/%s/close?rows=500", u, id)
	}
	if !strings.Contains(st.Msg, "Партия закрывается") || !strings.Contains(st.Msg, "3 отправлений списка и 2 сканов") {
		t.Errorf("while closing the panel says %q, want that it closes, with the list's and the scans' counts", st.Msg)
	}
	if !st.Close || !st.Cancel || st.Busy != "true" {
		t.Errorf("while closing: close disabled %v, cancel disabled %v, aria-busy %q; want both held, busy", st.Close, st.Cancel, st.Busy)
	}
	browsertest.Check(t, ctx, "operator-batch-closing-ru", browsertest.Views, "#batch")
	step(t, ctx, "English", chromedp.Evaluate[chromedp.Void](`document.querySelector('#lang button[value=en]').click()`))
	browsertest.Check(t, ctx, "operator-batch-closing-en", browsertest.Views, "#batch")
	step(t, ctx, "the close answered",
		chromedp.Evaluate[chromedp.Void](`window.letClose()`),
		chromedp.WaitVisible(chromedp.ID("receipt-html")),
		chromedp.Poll[chromedp.Void](`document.activeElement.id === 'receipt-html'`))
	msg := evalString(t, ctx, `document.querySelector('#batch-msg .en').textContent`)
	if !strings.HasPrefix(msg, "Batch closed: 2 accepted") {
		t.Errorf("after the close the panel says %q", msg)
	}
	if busy := evalString(t, ctx, `document.getElementById('batch-box').getAttribute('aria-busy') + ' ' + document.getElementById('batch-close').disabled`); busy != "false false" {
		t.Errorf("after the close: aria-busy and close disabled %q, want false false", busy)
	}
}

// evalString is the value of a JavaScript expression in the page.
func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestBrowserBatchClosingSteps: while a close runs, the live feed says
// how far it is (batch.CloseStep), and the panel says it in its live
// region, also for a close the cash desk sent (or another tab): here the
// store's write lock, held by the test, keeps the desk's close at its
// first step. Once it is done the panel says so and offers the receipt's
// links. axe in that state at 1024×768 and 200 %, one batch each (the
// store gives up on a lock held 5 s).
func TestBrowserBatchClosingSteps(t *testing.T) {
	e := newAPIEnv(t)
	e.srv.heartbit = 200 * time.Millisecond
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator", loginTasks(e.ts.URL, opName, opPass))
	step(t, ctx, "the operator screen", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("batch-open-form")))
	for i, view := range browsertest.Views {
		id := e.openBatch(t, 1004417)
		if a, res := e.scan(t, uint64(1+i), 1004417, id, nil); a.code != http.StatusOK || res.Verdict != mark.Accept {
			t.Fatalf("scan: %d %s", a.code, res.Verdict)
		}
		step(t, ctx, "the desk's batch on the panel", chromedp.WaitVisible(chromedp.ID("batch-box")),
			chromedp.Poll[chromedp.Void](`document.getElementById('bt-accepted').textContent === '1'`))
		if err := browsertest.SetView(ctx, view); err != nil {
			t.Fatal(err)
		}
		held, release, locked := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			locked <- e.db.Write(t.Context(), func(*sql.Tx) error { close(held); <-release; return nil })
		}()
		<-held
		closed := make(chan int, 1)
		go func() { closed <- e.call(t, "POST", "/api/batches/"+id+"/close", "", nil).code }()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('batch-msg').textContent.includes('шаг 1 из 6')`,
			chromedp.WithPollingTimeout(3*time.Second)))
		msg := evalString(t, ctx, `document.querySelector('#batch-msg .en').textContent`)
		if err == nil {
			browsertest.Check(t, ctx, "operator-batch-closing-steps", []browsertest.View{view}, "#batch")
		}
		close(release)
		if err := <-locked; err != nil {
			t.Fatal(err)
		}
		if code := <-closed; code != http.StatusOK {
			t.Fatalf("the desk's close: %d", code)
		}
		if err != nil || !strings.HasPrefix(msg, "Closing the batch (since ") || !strings.Contains(msg, "step 1 of 6: closing the batch") {
			t.Fatalf("while the desk's close waits for the store the panel says %q (%v), want its step", msg, err)
		}
		step(t, ctx, "done: the receipt's links",
			chromedp.WaitVisible(chromedp.ID("receipt-html")),
			chromedp.Poll[chromedp.Void](`document.querySelector('#batch-msg .en').textContent === 'Batch closed'`))
		if href := evalString(t, ctx, `document.getElementById('receipt-pdf').getAttribute('href')`); href != "/api/batches/"+id+"/receipt.pdf" {
			t.Errorf("after the desk's close the links are for %s, want batch %s", href, id)
		}
	}
	browsertest.Check(t, ctx, "operator-batch-closed-by-desk", browsertest.Views, "#batch")
}
