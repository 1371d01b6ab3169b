package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/mark"
	"markd/store"
)

// questionedData adds two rejections the collector questions: x-q1 open,
// with the collector's long reason, x-q2 closed by the region's reviewer
// with a long note of several lines that holds markup (questionNote).
func (e *env) questionedData() {
	e.t.Helper()
	e.rejected("x-q1", 20, mark.ReasonNotYetValid)
	e.rejected("x-q2", 21, mark.ReasonUnderpaid)
	why := "the collector would have accepted this mark: NOT_YET_VALID: scanned 2026-11-24T20:30:00Z, " +
		"2026-11-25 00:30:00 +04:00 in the office's time zone Europe/Samara, within the mark's days 2026-11-25 to 2027-02-08"
	if err := e.db.ApplyQuestions(context.Background(), []store.CollectorQuestion{
		{RecordID: "x-q1", Reasons: []mark.Reason{mark.ReasonNotYetValid}, Why: why, State: store.QuestionOpen, Seq: 3},
		{RecordID: "x-q2", Reasons: []mark.Reason{mark.ReasonUnderpaid}, Why: "the collector would have accepted this mark: UNDERPAID does not hold",
			State: store.QuestionReviewed, ReviewedAt: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC), Seq: 4,
			ReviewBy: "Анна <b>Петрова</b>", ReviewNote: questionNote},
	}, 4); err != nil {
		e.t.Fatal(err)
	}
}

// TestReviewQuestioned: the rejected-marks list marks the rejections the
// collector questions with its reason (a closed one says so), filters to
// the open ones with questioned=1 , and
// refuses another value naming the filter; a rejection's page shows the
// question beside the supervisor's decision.
func TestReviewQuestioned(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	e.questionedData()
	c := e.client()
	c.login(supName, supPass)
	code, body := c.get("/review")
	if code != http.StatusOK || strings.Count(body, `class="questioned"`) != 2 ||
		!strings.Contains(body, `data-questioned="open"`) || !strings.Contains(body, `data-questioned="closed"`) ||
		!strings.Contains(body, "Europe/Samara") || !strings.Contains(body, "closed by the region") {
		t.Fatalf("/review: %d, markers missing:\n%s", code, body)
	}
	code, body = c.get("/review?questioned=1")
	if code != http.StatusOK || !strings.Contains(body, `href="/review/x-q1"`) || strings.Contains(body, `href="/review/x-q2"`) ||
		strings.Contains(body, `href="/review/x-rej"`) || !strings.Contains(body, `id="f-questioned" checked`) {
		i := strings.Index(body, "f-questioned")
		t.Fatalf("/review?questioned=1: %d\n%s", code, body[max(0, i-200):min(len(body), i+800)])
	}
	if code, body = c.get("/review?questioned=yes"); code != http.StatusBadRequest || !strings.Contains(body, "questioned") {
		t.Fatalf("/review?questioned=yes: %d\n%s", code, body)
	}
	code, body = c.get("/review/x-q1")
	if code != http.StatusOK || !strings.Contains(body, `id="questioned"`) || !strings.Contains(body, "Europe/Samara") {
		t.Fatalf("/review/x-q1: %d\n%s", code, body)
	}
	if code, body = c.get("/review/x-rej"); code != http.StatusOK || strings.Contains(body, `id="questioned"`) {
		t.Fatalf("/review/x-rej shows a question it has not: %d", code)
	}
	if r, err := e.db.Get(context.Background(), "x-q1"); err != nil || r.Verdict != mark.Reject || r.Review != mark.ReviewPending {
		t.Fatalf("the stored rejection changed: %+v %v", r, err)
	}
}

// TestBrowserQuestioned holds the list with the collector's markers, the
// list filtered to them and a questioned rejection's page to WCAG 2.1 AA
// in both languages at 1024×768 and 200 %, the collector's long reason
// inside its cell, and the region's reviewer's long note (cut on the
// list, whole on the rejection's page) inside its box.
func TestBrowserQuestioned(t *testing.T) {
	e := newEnv(t, nil)
	e.a11yData()
	e.questionedData()
	ctx := browsertest.New(t)
	step(t, ctx, "log in as supervisor", loginTasks(e.ts.URL, supName, supPass))
	for _, p := range []a11yPage{
		{name: "review-list-questioned-marks", path: "/review", ready: "#review-list p.questioned"},
		{name: "review-list-questioned-only", path: "/review?questioned=1", ready: `#review-list p.questioned[data-questioned="open"]`},
		{name: "review-detail-questioned", path: "/review/x-q1", ready: "#questioned"},
		{name: "review-list-question-note", path: "/review", ready: "#review-list p.question-note", contained: []string{"#review-list"}},
		{name: "review-detail-question-note", path: "/review/x-q2", ready: "#questioned p.question-note",
			contained: []string{"#questioned"}},
	} {
		for _, lang := range []string{"ru", "en"} {
			checkA11y(t, e, ctx, p, lang)
		}
	}
	step(t, ctx, "filter by the checkbox",
		chromedp.Navigate(e.ts.URL+"/review"),
		chromedp.WaitVisible(chromedp.ID("f-questioned")),
		chromedp.Click(chromedp.ID("f-questioned")),
		chromedp.Submit(chromedp.ID("f-questioned")),
	)
	n := 0
	for try := 0; try < 200; try++ { // up to ~10 s
		if try > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		var err error
		n, err = chromedp.Run(ctx, chromedp.Evaluate[int](`location.search.includes("questioned=1") && document.readyState === "complete" ?
			document.querySelectorAll("#review-list a.open").length : -1`))
		if err == nil && n >= 0 {
			break
		}
	}
	if n != 1 {
		t.Fatalf("%d rows after filtering by the checkbox, want x-q1 alone", n)
	}
}
