package hubweb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/browsertest"
	"markd/mark"
)

// uploadQuestioned uploads as terminal office-d (uploadOtherOffice made
// it and published the bundle) through the real API a REJECT of each id,
// WRONG_OFFICE of a mark for any office under the published lists, a
// minute apart, the last a minute before now: the collector would have
// accepted each, so it questions it. serial is the first one's serial.
func uploadQuestioned(t *testing.T, e *env, serial uint64, ids ...string) {
	t.Helper()
	var up hub.UploadRequest
	for i, id := range ids {
		rec := signedRec(e, id, mark.Reject, serial+uint64(i), 0, time.Duration(len(ids)-i)*time.Minute)
		rec.Reasons, rec.Versions = []mark.Reason{mark.ReasonWrongOffice}, hubtest.PublishedVersions(t)
		up.Records = append(up.Records, rec)
	}
	code, raw := postAsD(t, e, up)
	if code != http.StatusOK || strings.Contains(string(raw), "disputed") {
		t.Fatalf("upload: %d %s", code, raw)
	}
}

// TestBrowserQuestionedReview: two REJECTs the collector would have
// accepted come in through the real API beside a disputed acceptance;
// the questioned page, linked from every page, counts them for their
// office and terminal and lists them (not the dispute); a supervisor
// reviews one with the keyboard alone, which moves it to the reviewed
// ones with who and the note and the counts with it; it is opened
// again; both steps are audited and counted apart from disputes; the
// page holds WCAG 2.1 AA in both languages (TestBrowserAccessibilityStates
// holds its other states).
func TestBrowserQuestionedReview(t *testing.T) {
	e := newEnv(t)
	uploadOtherOffice(t, e, otherOffice{"rec-x", 4801})
	uploadQuestioned(t, e, 5801, "rej-x", "rej-y")
	ctx := browsertest.New(t)
	login(t, ctx, e)
	step(t, ctx, "questioned from the menu", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("fleet")),
		chromedp.Click(chromedp.CSS(`nav a[href="/questioned"]`)), chromedp.WaitVisible(chromedp.ID("questioned")))
	if ids := rowIDs(t, ctx, "#questioned"); ids != "rej-y,rej-x" {
		t.Fatalf("open, newest scan first: %s", ids)
	}
	if c := countCells(t, ctx); c != "office-d 2 0" {
		t.Errorf("counts row %q, want office-d with 2 open, 0 reviewed", c)
	}
	if row := text(t, ctx, `#questioned tr[data-record="rej-x"]`); !strings.Contains(row, "WRONG_OFFICE") || !strings.Contains(row, "would have accepted") {
		t.Errorf("row %q", row)
	}
	const note = "counter 3 had the office index wrong in its config; fixed"
	step(t, ctx, "review with the keyboard",
		chromedp.Focus(chromedp.CSS(`#questioned tr[data-record="rej-x"] input[name=note]`)),
		chromedp.KeyEvent(note), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("question-flash")))
	if ids := rowIDs(t, ctx, "#questioned"); ids != "rej-y" {
		t.Errorf("open after the review: %s, want rej-y", ids)
	}
	if row := text(t, ctx, `#questioned-reviewed tr[data-record="rej-x"]`); !strings.Contains(row, note) || !strings.Contains(row, supName) {
		t.Errorf("reviewed row %q", row)
	}
	if c := countCells(t, ctx); c != "office-d 1 1" {
		t.Errorf("counts row after the review %q, want office-d with 1 open, 1 reviewed", c)
	}
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "questioned "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/questioned"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #questioned-reviewed`)))
		browsertest.Check(t, ctx, "hub-questioned-review-"+lang, nil)
	}
	step(t, ctx, "open again",
		chromedp.SendKeys(chromedp.CSS(`#questioned-reviewed tr[data-record="rej-x"] input[name=note]`), "the clerk says it happened again"),
		chromedp.Click(chromedp.CSS(`#questioned-reviewed tr[data-record="rej-x"] button[value=open]`)),
		chromedp.WaitVisible(chromedp.ID("no-questioned-reviewed")))
	audit, err := e.store.DisputeAudit(context.Background(), "office-d", "rej-x")
	if err != nil || len(audit) != 2 || audit[0].State != hub.DisputeReviewed || audit[0].Note != note || audit[1].State != hub.DisputeOpen {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	if st, err := e.store.Stats(context.Background()); err != nil || st.QuestionedOpen != 2 || st.QuestionedReviewed != 0 || st.DisputedOpen != 1 {
		t.Fatalf("stats: %+v %v", st, err)
	}
}

// countCells is the terminal, open and reviewed cells of office-d's row
// of the questioned counts, space-separated.
func countCells(t *testing.T, ctx context.Context) string {
	t.Helper()
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#questioned-counts tr[data-terminal="office-d"] td')].slice(1).map(c => c.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(cells, " ")
}
