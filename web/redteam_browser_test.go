package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// TestBrowserListRefusalIsText: a customer's list uploaded on the
// operator screen whose file name and cells are markup is refused, and
// the refusal (the file's name, the cell quoted by the parser) is shown
// as text on the batch panel: no element made, no script run (red team,
// 26th stop; held: batch.js writes textContent only).
func TestBrowserListRefusalIsText(t *testing.T) {
	e := newAPIEnv(t)
	e.openBatch(t, 1004417)
	dir := t.TempDir()
	name := `<img src=x id=pwn-name onerror="document.title='pwned'">.csv`
	path := filepath.Join(dir, name)
	list := "mail_class;weight_g;tariff_kop\n" + strings.ReplaceAll(hostile("cell"), `"`, "") + ";20;5000\n"
	if err := os.WriteFile(path, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	step(t, ctx, "log in as operator", loginTasks(e.ts.URL, opName, opPass))
	step(t, ctx, "upload the list",
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#batch-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#batch-file"), []string{path}),
		chromedp.Click(chromedp.CSS("#batch-upload")),
		chromedp.Poll[chromedp.Void](`document.getElementById('batch-msg').textContent.indexOf('pwn-name') >= 0`))
	msg := evalString(t, ctx, `document.getElementById('batch-msg').textContent`)
	if !strings.Contains(msg, "<img src=x id=pwn-name") || !strings.Contains(msg, "<img src=x id=pwn-cell") {
		t.Fatalf("the refusal does not show the name and the cell as text: %q", msg)
	}
	noInjection(t, ctx, "batch panel after the refused list")
}
