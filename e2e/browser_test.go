package e2e

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// step runs actions under a deadline, so a broken page fails the test
// instead of hanging it.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		screenshot(t, ctx, "failed-"+strings.ReplaceAll(what, " ", "-"))
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := browsertest.Screenshot(t, ctx, "e2e-"+name); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

func login(t *testing.T, ctx context.Context, base, user, pass string) {
	t.Helper()
	step(t, ctx, "log in as "+user,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), pass),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
}

// TestSupervisorOverridesRejectedMark is the walk of issue 5: a supervisor
// logs in, a bad mark is scanned on the daemon's stdin and appears live on
// the operator screen, the supervisor opens it in review, overrides it with
// a note, sees the audit line and exports CSV; then the serial counts as
// used, and an operator is refused the review page.
func TestSupervisorOverridesRejectedMark(t *testing.T) {
	const (
		sup, supPass = "sveta", "supervisor-pass"
		op, opPass   = "ivan", "operator-pass"
		note         = "Клиент доплатил 1 коп. на кассе, чек 0042"
	)
	good := vector(t, "valid registered letter")
	bad := vector(t, "underpaid by one kopeck")
	d := startDaemon(t, map[string][2]string{sup: {"supervisor", supPass}, op: {"operator", opPass}})
	ctx := browsertest.New(t)

	login(t, ctx, d.URL, sup, supPass)
	step(t, ctx, "operator screen connected",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
	)
	d.scan(t, good)
	step(t, ctx, "good mark appears live as ACCEPT", chromedp.WaitVisible(chromedp.CSS(`#current.v-ACCEPT`)))
	sent := time.Now()
	d.scan(t, bad)
	step(t, ctx, "bad mark appears live as REJECT",
		chromedp.WaitVisible(chromedp.CSS(`#current.v-REJECT #reasons li[data-code="UNDERPAID"]`)))
	// A figure for the notes, not an assertion: stdin line to verdict on screen.
	t.Logf("stdin line to verdict on the operator screen: %v", time.Since(sent).Round(time.Millisecond))
	reasons := run(t, ctx, "reasons", chromedp.Text(chromedp.ID("reasons")))
	if !strings.Contains(reasons, "Оплачено меньше тарифа") {
		t.Fatalf("operator screen reasons %q lack the Russian text", reasons)
	}
	if n := run(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#recent tbody tr').length`)); n != 2 {
		t.Fatalf("recent scans list has %d rows, want 2", n)
	}
	screenshot(t, ctx, "1-operator-reject")

	step(t, ctx, "open the review list",
		chromedp.Navigate(d.URL+"/review"),
		chromedp.WaitVisible(chromedp.CSS(`#review-list a.open`)),
	)
	if n := run(t, ctx, "review rows", chromedp.Evaluate[int](`document.querySelectorAll('#review-list a.open').length`)); n != 1 {
		t.Fatalf("review list has %d rejected marks, want 1", n)
	}
	screenshot(t, ctx, "2-review-list")
	step(t, ctx, "open the detail page",
		chromedp.Click(chromedp.CSS(`#review-list a.open`)),
		chromedp.WaitVisible(chromedp.ID("override-form")),
	)
	raw := run(t, ctx, "raw text", chromedp.Text(chromedp.ID("raw")))
	if strings.TrimSpace(raw) != bad {
		t.Fatalf("detail raw text %q, want the scanned text", raw)
	}
	screenshot(t, ctx, "3-review-detail")

	step(t, ctx, "override with a note",
		chromedp.SendKeys(chromedp.ID("override-note"), note),
		chromedp.Click(chromedp.ID("override")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if st := run(t, ctx, "state", chromedp.AttributeValue(chromedp.ID("review-state"), "data-state")); st.Value != "overridden" {
		t.Fatalf("review state after override: %q", st.Value)
	}
	audit := run(t, ctx, "audit", chromedp.Text(chromedp.ID("audit")))
	if !strings.Contains(audit, note) || !strings.Contains(audit, "override_accept") || !strings.Contains(audit, sup) {
		t.Fatalf("audit lines %q lack the override by %s with the note", audit, sup)
	}
	screenshot(t, ctx, "4-after-override")

	// CSV export through the browser's own session.
	body := run(t, ctx, "csv", chromedp.Evaluate[string](`fetch('/review/export.csv').then(r => r.text())`, chromedp.EvalAwaitPromise))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV export: %v, %d rows:\n%s", err, len(rows), body)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if r := rows[1]; r[col["reasons"]] != "UNDERPAID" || r[col["review_state"]] != "overridden" || r[col["raw_text"]] != bad || r[col["counter"]] != "A" {
		t.Fatalf("CSV row %v", r)
	}

	// The override made the serial count as used: the same mark again is
	// not a fresh rejection for underpayment only.
	step(t, ctx, "back to the operator screen",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
		// the screen shows the last verdict once its first load is in: read
		// the id after that, or that load passes for the rescan's verdict
		chromedp.Poll[chromedp.Void](`document.getElementById('current').dataset.id`),
	)
	before := run(t, ctx, "current id", chromedp.Evaluate[string](`document.getElementById('current').dataset.id || ''`))
	d.scan(t, bad)
	step(t, ctx, "rescan shows a new verdict", chromedp.Poll[chromedp.Void](
		`document.getElementById('current').dataset.id && document.getElementById('current').dataset.id !== `+jsString(before)))
	verdict := run(t, ctx, "verdict", chromedp.Evaluate[string](`document.getElementById('current').dataset.verdict`))
	codes := run(t, ctx, "codes", chromedp.Evaluate[string](`[...document.querySelectorAll('#reasons li')].map(l => l.dataset.code || '').join(',')`))
	if verdict != "DUPLICATE_SCAN" && !strings.Contains(codes, "REUSED") {
		t.Fatalf("rescan after override: %s %s, want REUSED or DUPLICATE_SCAN", verdict, codes)
	}
	screenshot(t, ctx, "5-rescan-after-override")

	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	login(t, ctx, d.URL, op, opPass)
	resp := run(t, ctx, "operator opens review", chromedp.NavigateResponse(d.URL+"/review"))
	if resp.Status != 403 {
		t.Fatalf("operator on /review: HTTP %d, want 403", resp.Status)
	}
	screenshot(t, ctx, "6-operator-forbidden")
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
