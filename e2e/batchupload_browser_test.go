package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/testdata"
)

// TestBatchListUploadOnScreen: step 2 of the operator guide's batch
// section done as written, in Chromium: the operator chooses the
// customer's file under "Список клиента" and presses "Загрузить список"
// (Enter on the focused button). A file with a mistake is refused with
// the file's name, the line and column and the rule, and nothing changes;
// a UTF-16 file says so; the customer's corrected file (UTF-8 with a BOM
// and CRLF line ends, as Excel's "CSV UTF-8" writes it) is taken with its
// count. Until 2026-12-04 the message did not name the file (the operator
// could not tell a wrong file chosen from a wrong line in the right one).
// axe-core on the refusal at 1024×768 and 200 %.
func TestBatchListUploadOnScreen(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\nbatch:\n  auto: true\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	desk.url = d.URL
	list, err := os.ReadFile(testdata.Path(t, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCheck := write("zakaz-17.csv", bytes.Replace(list, []byte("42600000000022"), []byte("42600000000023"), 1))
	utf16 := write("zakaz-17.txt", []byte("\xff\xfen\x00,\x00t\x00\n\x00"))
	good := write("zakaz-17-ok.csv", append([]byte("\ufeff"), bytes.ReplaceAll(list, []byte("\n"), []byte("\r\n"))...))

	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "open a batch",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.Focus(chromedp.ID("batch-contract")),
		chromedp.KeyEvent("1004417\r"),
		chromedp.WaitVisible(chromedp.ID("batch-box")),
	)
	upload := func(file string) string {
		t.Helper()
		step(t, ctx, "upload "+filepath.Base(file),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('batch-msg').textContent = ''`),
			chromedp.SetUploadFiles(chromedp.ID("batch-file"), []string{file}),
			chromedp.Focus(chromedp.ID("batch-upload")),
			chromedp.KeyEvent("\r"),
			chromedp.Poll[chromedp.Void](`document.getElementById('batch-msg').textContent !== ''`),
		)
		return run(t, ctx, "message", chromedp.Evaluate[string](`document.querySelector('#batch-msg .ru').textContent`))
	}
	msg := upload(badCheck)
	for _, want := range []string{"«zakaz-17.csv» не загружен", "строка 3, столбец 2", "check digit"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q lacks %q", msg, want)
		}
	}
	browsertest.Check(t, ctx, "e2e-operator-batch-list-refused", browsertest.Views, "#batch")
	if msg := upload(utf16); !strings.Contains(msg, "«zakaz-17.txt» не загружен") || !strings.Contains(msg, "UTF-16") {
		t.Errorf("UTF-16 file: %q", msg)
	}
	if msg := upload(good); !strings.Contains(msg, "«zakaz-17-ok.csv» загружен: 12") {
		t.Errorf("good file: %q", msg)
	}
	step(t, ctx, "the list's items are on the panel",
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#batch-diffs tr[data-kind="MISSING"]').length === 12`))

	// Closed: the receipt's links. The next customer's first mark opens a
	// new batch by itself (batch.auto): the closed batch's links go, so
	// that they are not printed for the new customer (until 2026-12-04
	// they stayed beside the new batch until the operator opened one).
	step(t, ctx, "close",
		chromedp.Click(chromedp.ID("batch-close")),
		chromedp.WaitVisible(chromedp.ID("receipt-html")))
	next := testdata.ValidMark(9_200_000_001, testdata.Today(nil))
	next.Contract = 2002002
	desk.do(t, "POST", "/api/scans", []byte(fmt.Sprintf(`{"text": %q}`, testdata.Signer(t)(next))), "application/json", 200)
	step(t, ctx, "the new batch without the old receipt's links",
		chromedp.WaitVisible(chromedp.ID("batch-box")),
		chromedp.Poll[chromedp.Void](`document.getElementById('batch-info').textContent.includes('2002002')`),
		chromedp.Poll[chromedp.Void](`document.getElementById('batch-done').hidden`))
}

// TestDeskBatchOnScreen: the guide says the cash-desk program can run the
// batch itself "and the screen then just shows what happens". In Chromium,
// with no scan in between: the desk opens a batch, the panel shows it;
// the desk loads the customer's list, the panel shows its items; the desk
// closes it, the panel offers to open one again. Until 2026-12-04 the
// panel read the batch again only after a scan or a supervisor's override,
// so it showed no batch while the desk's was open (the operator's Open
// batch then 409) and an open batch after the desk had closed it.
func TestDeskBatchOnScreen(t *testing.T) {
	const op, opPass = "ivan", "operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	desk := tokenAdd(t, cfg, "kassa")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	desk.url = d.URL
	list, err := os.ReadFile(testdata.Path(t, "batches", "list-utf8.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "operator screen without a batch",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		chromedp.WaitVisible(chromedp.ID("batch-open-form")))
	var b batchView
	desk.json(t, "POST", "/api/batches", []byte(`{"contract": 1004417}`), "application/json", 201, &b)
	step(t, ctx, "the desk's batch on the panel",
		chromedp.WaitVisible(chromedp.ID("batch-box")),
		chromedp.Poll[chromedp.Void](`document.getElementById('batch-info').textContent.includes('1004417')`))
	desk.do(t, "POST", "/api/batches/"+b.ID+"/expect", list, "text/csv", 200)
	step(t, ctx, "the desk's list on the panel",
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#batch-diffs tr[data-kind="MISSING"]').length === 12`))
	// A list of 600 not yet scanned: the panel draws 500 rows and says so.
	var big strings.Builder
	big.WriteString("n;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= 600; i++ {
		fmt.Fprintf(&big, "%d;1;20;5000;%d\n", i, 8_000_000_000+i)
	}
	desk.do(t, "POST", "/api/batches/"+b.ID+"/expect", []byte(big.String()), "text/csv", 200)
	step(t, ctx, "600 differences, 500 drawn",
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#batch-diffs tr[data-kind="MISSING"]').length === 500`))
	if more := run(t, ctx, "cut note", chromedp.Evaluate[string](`(document.querySelector('#batch-diffs-more .ru') || {}).textContent || ''`)); !strings.Contains(more, "первые 500 из 600") {
		t.Errorf("a table of 500 of 600 differences says %q, want that it is cut", more)
	}
	// The panel asks for the rows it draws (a list of 100 000 is not sent
	// at every refresh) and counts them all from differences_total.
	if h := run(t, ctx, "diffs heading", chromedp.Evaluate[string](`document.querySelector('#batch-diffs-h .en').textContent`)); !strings.HasSuffix(h, ": 600") {
		t.Errorf("differences heading %q, want 600 of them", h)
	}
	if !run(t, ctx, "reads with rows", chromedp.Evaluate[bool](`performance.getEntriesByType('resource').some(e => e.name.endsWith('/api/batches/current?rows=500'))`)) {
		t.Errorf("the panel did not read the batch with ?rows=500")
	}
	browsertest.Check(t, ctx, "e2e-operator-batch-diffs-cut", browsertest.Views, "#batch")
	desk.do(t, "POST", "/api/batches/"+b.ID+"/close", nil, "", 200)
	step(t, ctx, "closed by the desk: the panel offers to open one",
		chromedp.WaitVisible(chromedp.ID("batch-open-form")),
		chromedp.WaitNotVisible(chromedp.ID("batch-box")))
}
