package receipt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

func writeHTML(t *testing.T, r Receipt) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "receipt.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.String()
}

func TestHTMLContent(t *testing.T) {
	_, page := writeHTML(t, sample(12))
	for _, want := range []string{
		`<html lang="ru">`, `<meta charset="utf-8">`, "<title>Квитанция о приёме партионных почтовых отправлений " + batchID + "</title>",
		"@page", "size: A4", "thead { display: table-header-group; }", "@media print",
		`<th scope="col">ШПИ</th>`, "<td class=\"mono\">42600000000022</td>", "заказное письмо с уведомлением",
		"Итого принято: 12 отправлений на сумму 1 620,00 руб.", "заказная бандероль: 3 шт., 840,00 руб.",
		"Марка другого договора, не этой партии; Марка уже использована", "не прочитана",
		"<strong>Не принято: 3 шт.", "Принял (оператор Светлана Петрова), подпись",
		`role="img" aria-label="QR-код партии ` + batchID + `"`, "25.11.2026 10:47 MSK", "Светлана Петрова",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("page is not self-contained: has %q", bad)
		}
	}
}

// TestHTMLEscapes: names from the store cannot inject markup.
func TestHTMLEscapes(t *testing.T) {
	r := sample(1)
	r.Operator = `<script>alert(1)</script>`
	r.OfficeName = `"><b>`
	_, page := writeHTML(t, r)
	if strings.Contains(page, "<script>") || strings.Contains(page, `"><b>`) {
		t.Errorf("markup not escaped")
	}
}

// TestHTMLValid runs HTML Tidy: no errors and no warnings.
func TestHTMLValid(t *testing.T) {
	need(t, "tidy")
	listed := sample(30) // with the reconciliation section
	listed.HasList, listed.ListItems = true, 31
	listed.Diffs = []Diff{{Kind: "WEIGHT", N: 3, Tracking: "42600000000039", Serial: 3, Want: "40", Got: "20"},
		{Kind: "MISSING", N: 31, Tracking: "42600000000077", Serial: 7}, {Kind: "EXTRA", Serial: 9}}
	for _, r := range []Receipt{sample(30), listed} {
		path, _ := writeHTML(t, r)
		out, err := exec.Command("tidy", "-q", "-e", "--show-warnings", "yes", path).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("tidy: %v\n%s", err, out)
		}
	}
}

// a11yScript checks in the browser what WCAG 2.1 AA asks of this page
// and returns the problems: language, title, one h1 and no skipped
// heading level, column headers with scope, a name for the QR image, and
// the contrast of every text (4.5:1, 3:1 for large text) against the
// background it is drawn on.
const a11yScript = `(() => {
  const bad = [];
  if (document.documentElement.lang !== 'ru') bad.push('lang is ' + document.documentElement.lang);
  if (!document.title.trim()) bad.push('no title');
  const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  if (hs.filter(h => h === 1).length !== 1) bad.push('not one h1');
  hs.forEach((h, i) => { if (i > 0 && h > hs[i-1] + 1) bad.push('heading level skipped at ' + i); });
  document.querySelectorAll('th').forEach(th => { if (!th.getAttribute('scope')) bad.push('th without scope: ' + th.textContent); });
  document.querySelectorAll('img:not([alt]), svg:not([aria-label]):not([aria-hidden="true"])').forEach(e => bad.push('image without a name'));
  if (!document.querySelector('main')) bad.push('no main landmark');
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c; } return [255, 255, 255]; };
  let checked = 0;
  document.querySelectorAll('body *').forEach(el => {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return;
    const st = getComputedStyle(el);
    const a = lum(rgb(st.color)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const px = parseFloat(st.fontSize), large = px >= 24 || (px >= 18.66 && +st.fontWeight >= 700);
    checked++;
    if (ratio < (large ? 3 : 4.5)) bad.push('contrast ' + ratio.toFixed(2) + ' of ' + el.tagName + ': ' + el.textContent.trim().slice(0, 30));
  });
  if (checked < 50) bad.push('only ' + checked + ' texts checked');
  return bad;
})()`

// TestBrowserHTML opens the page in Chromium: the accessibility checks
// above pass, and printing it gives A4 pages that each repeat the table
// heading, with the page numbers of the @page margin.
func TestBrowserHTML(t *testing.T) {
	need(t, "pdftotext")
	ctx := browsertest.New(t)
	path, _ := writeHTML(t, sample(120))
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	problems, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](a11yScript))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("accessibility: %s", p)
	}
	if err := browsertest.Screenshot(t, tctx, "receipt-html"); err != nil {
		t.Logf("screenshot: %v", err)
	}
	pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	printed := filepath.Join(t.TempDir(), "printed.pdf")
	if err := os.WriteFile(printed, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", printed).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(info), "(A4)") {
		t.Errorf("printed page is not A4:\n%s", info)
	}
	all := pdfText(t, printed, 0, 0)
	pages := strings.Count(all, "\f")
	if pages < 3 {
		t.Fatalf("printed on %d pages, want ≥ 3 for 120 items", pages)
	}
	for p := 1; p <= 2; p++ {
		text := pdfText(t, printed, p, p)
		if !strings.Contains(text, "Серия знака") {
			t.Errorf("printed page %d lacks the table heading", p)
		}
		if !strings.Contains(text, fmt.Sprintf("Стр. %d из %d", p, pages)) {
			t.Errorf("printed page %d lacks the page number of the @page margin box", p)
		}
	}
}
