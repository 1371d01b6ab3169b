package web

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
)

// countedBatch is an open batch of the cash-desk program in which the
// counts of scans and of envelopes differ: marks 1 and 2 accepted, mark
// 3 of another contract scanned twice (one envelope handed back), and
// mark 1 presented twice more after the re-scan window (refused REUSED:
// the same envelope again, or a copy). It returns the batch id.
func countedBatch(t *testing.T, e *apiEnv) string {
	t.Helper()
	id := e.openBatch(t, 1004417)
	for _, sc := range []struct {
		serial   uint64
		contract uint32
		want     mark.Verdict
		after    time.Duration
	}{
		{1, 1004417, mark.Accept, 0}, {2, 1004417, mark.Accept, 0},
		{3, 777, mark.Reject, 0}, {3, 777, mark.Reject, time.Minute},
		{1, 1004417, mark.Reject, 11 * time.Minute}, {1, 1004417, mark.Reject, 11 * time.Minute},
	} {
		e.clock.Add(sc.after)
		a, res := e.scan(t, sc.serial, sc.contract, id, nil)
		if a.code != http.StatusOK || res.Verdict != sc.want {
			t.Fatalf("scan of %d: %d %s %v, want %s", sc.serial, a.code, res.Verdict, res.Reasons, sc.want)
		}
		if sc.serial == 1 && sc.want == mark.Reject && !slices.Contains(res.Reasons, mark.ReasonReused) {
			t.Fatalf("mark 1 again: %v, want REUSED", res.Reasons)
		}
	}
	return id
}

// TestBatchCountsAgree: the local API's batch status and the batch CSV
// give the receipt's counts under their own names — the envelopes handed
// back (handed_back: the receipt's "Не принято"), the marks accepted and
// presented again and their refusals (presented_again, refused_again: its
// "Предъявлены повторно") — beside the rejected scans (rejected), so no
// two of them contradict each other.
func TestBatchCountsAgree(t *testing.T) {
	e := newAPIEnv(t)
	id := countedBatch(t, e)
	if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusOK {
		t.Fatalf("close: %d %s", a.code, a.body)
	}
	a := e.call(t, "GET", "/api/batches/"+id, "", nil)
	var st struct {
		Totals map[string]any `json:"totals"`
	}
	a.json(t, &st)
	want := map[string]int{"accepted": 2, "rejected": 4, "handed_back": 1, "presented_again": 1, "refused_again": 2}
	for k, w := range want {
		if st.Totals[k] != float64(w) {
			t.Errorf("API totals %s = %v, want %d (all: %v)", k, st.Totals[k], w, st.Totals)
		}
	}
	rows, col := batchesCSV(t, e, 2)
	for k, w := range want {
		i, ok := col[k]
		if !ok {
			t.Errorf("CSV has no column %s: %v", k, rows[0])
			continue
		}
		if rows[1][i] != strconv.Itoa(w) {
			t.Errorf("CSV %s = %s, want %d", k, rows[1][i], w)
		}
	}
}

// TestBrowserBatchCounts: the operator's batch panel names each count
// the way the receipt does — accepted items, envelopes not accepted (to
// hand back), marks presented again with their refusals — and the
// rejected scans as scans, so the screen and the receipt of one batch
// never contradict each other; the message on closing and the
// supervisors' batch list say the same. Held to WCAG 2.1 AA in both
// languages at 1024×768 and 200 %.
func TestBrowserBatchCounts(t *testing.T) {
	e := newAPIEnv(t)
	id := countedBatch(t, e)
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator",
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("user"), opName),
		chromedp.SendKeys(chromedp.ID("password"), opPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	panel := map[string][]string{
		"ru": {"Принято, отправлений 2", "Не принято, конвертов (вернуть) 1", "Предъявлены повторно, марок 1 (уже приняты, отказано 2 раза)",
			"Отказов, сканов 4", "Повторное сканирование, сканов 0"},
		"en": {"Accepted, items 2", "Not accepted, envelopes (hand back) 1", "Presented again, marks 1 (accepted before, refused 2 times)",
			"Rejections, scans 4", "Scanned again, scans 0"},
	}
	for _, lang := range []string{"ru", "en"} {
		setLang(t, ctx, e.ts.URL, lang)
		step(t, ctx, "operator screen "+lang, chromedp.Navigate(e.ts.URL+"/"),
			chromedp.WaitVisible(chromedp.ID("batch-box")),
			chromedp.Poll[chromedp.Void](`document.getElementById('bt-accepted') && document.getElementById('bt-accepted').textContent === '2'`))
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('batch-totals').innerText`))
		if err != nil {
			t.Fatal(err)
		}
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range panel[lang] {
			if !strings.Contains(flat, want) {
				t.Errorf("batch panel (%s) lacks %q: %q", lang, want, flat)
			}
		}
		browsertest.Check(t, ctx, "operator-batch-counts-"+lang, browsertest.Views, "#batch")
	}
	setLang(t, ctx, e.ts.URL, "ru")
	step(t, ctx, "close the batch", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("batch-box")),
		chromedp.Click(chromedp.ID("batch-close")), chromedp.WaitVisible(chromedp.ID("receipt-html")))
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#batch-msg .ru').textContent`))
	if want := "Партия закрыта: принято 2, не принято 1, предъявлено повторно 1, сумма"; err != nil || !strings.Contains(msg, want) {
		t.Errorf("message on closing %q (%v), want %q", msg, err, want)
	}

	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "log in as supervisor",
		chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e.env, ctx, a11yPage{name: "review-batches-counts", path: "/review/batches", ready: "#batch-list"}, lang)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
		const heads = [...document.querySelectorAll('#batch-list thead th')].map(th => th.querySelector('.en').textContent);
		const row = document.querySelector('#batch-list tr[data-batch="`+id+`"]');
		const out = {};
		[...row.cells].forEach((td, i) => { out[heads[i]] = td.textContent.trim(); });
		return out;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for head, want := range map[string]string{"Accepted, items": "2", "Not accepted, envelopes": "1", "Presented again, marks": "1",
		"Rejections, scans": "4"} {
		if cells[head] != want {
			t.Errorf("batch list column %q = %q, want %q (row %v)", head, cells[head], want, cells)
		}
	}
}

// batchesCSV reads the supervisors' batch export as a supervisor: its
// rows (the header first, want in all) and each column's index by name.
func batchesCSV(t *testing.T, e *apiEnv, want int) ([][]string, map[string]int) {
	t.Helper()
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/review/batches/export.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if code != http.StatusOK || err != nil || len(rows) != want {
		t.Fatalf("CSV: %d %v, %d rows, want %d\n%s", code, err, len(rows), want, body)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	return rows, col
}
