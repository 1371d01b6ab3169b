package web

import (
	"context"
	"encoding/csv"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
	"markd/store"
)

// setAsideData sets aside, as the uploader does on the collector's
// refusals, two records and a supervisor's decision on one of them.
func (e *env) setAsideData() (refused, other string) {
	e.t.Helper()
	ctx := context.Background()
	refused = e.rejected("sa-1", 31, mark.ReasonUnderpaid)
	other = e.rejected("sa-2", 32, mark.ReasonExpired)
	for _, id := range []string{refused, other} {
		if err := e.db.RefuseUpload(ctx, id, store.Refusal{Status: 400, Field: "records[0].text",
			Reason: "mark text not understood"}); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.db.ConfirmRejection(ctx, refused, supName, ""); err != nil {
		e.t.Fatal(err)
	}
	audit, err := e.db.AuditFor(ctx, refused)
	if err != nil || len(audit) != 1 {
		e.t.Fatalf("audit %+v %v", audit, err)
	}
	if err := e.db.SkipEvent(ctx, audit[0].ID, store.Refusal{Status: 400, Field: "events[0].record_id",
		Reason: "no record " + refused + " from this terminal"}); err != nil {
		e.t.Fatal(err)
	}
	return refused, other
}

// TestSetAsidePage: a supervisor sees what the collector refused, newest
// first — the record (scan time in the office's zone, serial, tracking,
// verdict) or the decision, when it was set aside and the collector's
// answer —, with a count, pages by key, a CSV of all of it, and sends
// one, then all, back to the outbox; the audit names the supervisor.
func TestSetAsidePage(t *testing.T) {
	e := newEnv(t, nil)
	refused, other := e.setAsideData()
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/")
	if code != 200 || !strings.Contains(body, `href="/review/setaside"`) {
		t.Fatalf("supervisor's navigation lacks the set-aside page: %d", code)
	}
	code, body = sup.get("/review/setaside")
	for _, want := range []string{"Отложенные", `id="total">(3)`, refused, other, "31", "42600000000015",
		"2026-11-25 12:00:00", "mark text not understood", "records[0].text", "events[0].record_id",
		"отказ подтверждён", `id="resend-all"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("set-aside page: %d, lacks %q\n%s", code, want, body)
		}
	}
	if i, j := strings.Index(body, "events[0].record_id"), strings.Index(body, `data-ref="`+other); i < 0 || j < 0 || i > j {
		t.Fatalf("not newest first: the decision (set aside last) at %d, record %s at %d", i, other, j)
	}
	// Pages by key: two, then the last one.
	code, body = sup.get("/review/setaside?per=2")
	if code != 200 || strings.Count(body, "<tr data-ref=") != 2 || !strings.Contains(body, `id="next"`) {
		t.Fatalf("first page of 2: %d\n%s", code, body)
	}
	m := regexp.MustCompile(`href="([^"]+)" id="next"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link to the next page:\n%s", body)
	}
	next := html.UnescapeString(m[1])
	code, body = sup.get(next)
	if code != 200 || strings.Count(body, "<tr data-ref=") != 1 || !strings.Contains(body, `data-ref="`+refused+`"`) ||
		strings.Contains(body, `id="next"`) {
		t.Fatalf("second page %s: %d\n%s", next, code, body)
	}
	for _, bad := range []string{"per=0", "per=x", "per=201", "before=x", "before=-1"} {
		if code, _ := sup.get("/review/setaside?" + bad); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, code)
		}
	}
	// CSV: everything, streamed.
	code, body = sup.get("/review/setaside/export.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if code != 200 || err != nil || len(rows) != 4 || rows[0][0] != "kind" {
		t.Fatalf("CSV: %d %v\n%s", code, err, body)
	}
	if got := strings.Join(rows[3], "|"); !strings.Contains(got, refused) || !strings.Contains(got, "31") ||
		!strings.Contains(got, "2026-11-25 12:00:00 +03:00") || !strings.Contains(got, "mark text not understood") {
		t.Fatalf("CSV row of the first record: %s", got)
	}
	// Send one again, then all.
	page, err := e.db.ListSetAside(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	code, _ = sup.post("/review/setaside/resend", url.Values{"seq": {itoa64(page[2].Seq)}})
	if code != http.StatusSeeOther {
		t.Fatalf("resend one: %d", code)
	}
	if n, _ := e.db.CountSetAside(context.Background()); n != 2 {
		t.Fatalf("%d set aside after one was sent again", n)
	}
	code, body = sup.get("/review/setaside?done=1")
	if code != 200 || !strings.Contains(body, `id="flash"`) {
		t.Fatalf("after the resend: %d\n%s", code, body)
	}
	if code, _ = sup.post("/review/setaside/resend", url.Values{"seq": {itoa64(page[2].Seq)}}); code != http.StatusNotFound {
		t.Fatalf("the same one again: %d, want 404", code)
	}
	if code, _ = sup.post("/review/setaside/resend", url.Values{"all": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("resend all: %d", code)
	}
	if n, _ := e.db.CountSetAside(context.Background()); n != 0 {
		t.Fatalf("%d set aside after all were sent again", n)
	}
	audit, _ := e.db.AuditFor(context.Background(), refused)
	n := 0
	for _, a := range audit {
		if a.Action == store.ActionResendRefused && a.Actor == supName {
			n++
		}
	}
	if n != 2 { // the record and the decision
		t.Fatalf("audit of %s: %+v, want two resend lines by %s", refused, audit, supName)
	}
	if recs, _ := e.db.PendingUploads(context.Background(), 10); len(recs) < 2 {
		t.Fatalf("outbox: %d records, want the two sent again", len(recs))
	}
	code, body = sup.get("/review/setaside")
	if code != 200 || !strings.Contains(body, `id="total">(0)`) || strings.Contains(body, `id="resend-all"`) {
		t.Fatalf("empty page: %d\n%s", code, body)
	}
	// Without the form token: refused.
	if code, _ := sup.post("/review/setaside/resend", url.Values{"all": {"1"}, "csrf": {"x"}}); code != http.StatusForbidden {
		t.Fatalf("resend without the form token: %d", code)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestBrowserSetAside holds the set-aside page to WCAG 2.1 AA in both
// languages at 1024×768 and at 200 % zoom — with a record, a decision and
// a batch on it, after one was sent again (the outcome line), and empty —
// and sends one row, then all, again with the page's buttons.
func TestBrowserSetAside(t *testing.T) {
	e := newEnv(t, nil)
	e.setAsideData()
	ctx := context.Background()
	b, err := e.db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "B", Operator: opName, Contract: 1004417})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.EndBatch(ctx, b.ID, mark.BatchClosed, opName); err != nil {
		t.Fatal(err)
	}
	if err := e.db.RefuseBatch(ctx, b.ID, store.Refusal{Status: 400, Field: "batches[0].office",
		Reason: "terminal office-a belongs to office 426000; a batch of office 426001 is refused"}); err != nil {
		t.Fatal(err)
	}
	bctx := browsertest.New(t)
	step(t, bctx, "log in as supervisor",
		loginTasks(e.ts.URL, supName, supPass),
	)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, bctx, a11yPage{name: "set-aside", path: "/review/setaside", ready: "#setaside-list"}, lang)
		screenshot(t, bctx, "web-set-aside-"+lang)
	}
	step(t, bctx, "send the batch again",
		chromedp.Navigate(e.ts.URL+"/review/setaside"),
		chromedp.Click(chromedp.CSS(`tr[data-ref="`+b.ID+`"] button`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if n, _ := e.db.CountSetAside(ctx); n != 3 {
		t.Fatalf("%d set aside after the batch was sent again, want 3", n)
	}
	if got, _ := e.db.GetBatch(ctx, b.ID); got.Upload != mark.UploadPending {
		t.Fatalf("batch upload state %q after it was sent again", got.Upload)
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, bctx, a11yPage{name: "set-aside-sent", path: "/review/setaside?done=1", ready: "#flash"}, lang)
	}
	step(t, bctx, "send all again",
		chromedp.Navigate(e.ts.URL+"/review/setaside"),
		chromedp.Click(chromedp.ID("resend-all")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if n, _ := e.db.CountSetAside(ctx); n != 0 {
		t.Fatalf("%d set aside after all were sent again", n)
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, bctx, a11yPage{name: "set-aside-empty", path: "/review/setaside", ready: "#setaside-list"}, lang)
	}
}

// FuzzSetAsideQuery: any query of the set-aside page is a place in the
// list or a refusal that is mark.ErrInvalid (a 400 naming the field),
// never a panic or a page larger than the store reads.
func FuzzSetAsideQuery(f *testing.F) {
	for _, q := range []string{"", "before=12", "per=2&before=7", "per=999", "before=-1", "before=%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, err := http.NewRequest("GET", "/review/setaside?"+q, nil)
		if err != nil {
			return
		}
		sq, err := parseSetAsideQuery(r)
		if err != nil && !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("%q: %v is not ErrInvalid", q, err)
		}
		if err == nil && (sq.Per < 1 || sq.Per >= store.SetAsideMaxPage || sq.Before < 0) {
			t.Fatalf("%q: %+v", q, sq)
		}
	})
}
