package hubweb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/internal/browsertest"
)

// TestBrowserReviewNoteRefused: a review of a disputed acceptance, of a
// questioned rejection and of a reuse alert whose note holds a
// right-to-left override, a zero width space or a control character (pasted along with the text, as a person cannot see
// it) is refused at the form, 400, naming the character and its position;
// the error page holds WCAG 2.1 AA at 1024x768 and 200 %; nothing is
// reviewed. They were stored and only neutralised later, in the
// questioned feed (hub.PlainNote).
func TestBrowserReviewNoteRefused(t *testing.T) {
	e := newEnv(t)
	uploadOtherOffice(t, e, otherOffice{"rec-x", 4801})
	uploadQuestioned(t, e, 5801, "rej-x")
	ctx := browsertest.New(t)
	login(t, ctx, e)
	for _, c := range []struct {
		name, page, row, button, note, want string
	}{
		{"disputed", "/alerts", `#disputed tr[data-record="rec-x"]`, "reviewed", "paid \u202Eevil", "character 6 is U+202E RIGHT-TO-LEFT OVERRIDE"},
		{"questioned", "/questioned", `#questioned tr[data-record="rej-x"]`, "reviewed", "ok\u200Bfixed", "character 3 is U+200B ZERO WIDTH SPACE"},
		{"reuse alert", "/alerts", `section.batch`, "acknowledged", "seen\tby me\x07", "character 11 is U+0007, a control character"},
	} {
		step(t, ctx, c.name+": review with the note", chromedp.Navigate(e.ts.URL+"/lang?set=en&next="+c.page),
			chromedp.WaitVisible(chromedp.CSS(c.row)),
			chromedp.SetValue(chromedp.CSS(c.row+` input[name=note]`), c.note),
			chromedp.Click(chromedp.CSS(c.row+` button[value=`+c.button+`]`)), chromedp.WaitVisible(chromedp.ID("error")))
		msg := text(t, ctx, "#error")
		for _, w := range []string{"400", c.want, "line breaks and tabs are fine", "delete it"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q lacks %q", c.name, msg, w)
			}
		}
		browsertest.Check(t, ctx, "hub-review-note-refused-"+strings.ReplaceAll(c.name, " ", "-"), []browsertest.View{browsertest.Desk, browsertest.Zoom200}, "#error")
	}
	if alerts, err := e.store.ReuseAlerts(context.Background(), false, 10); err != nil || len(alerts) != 1 || alerts[0].State != hub.AlertOpen {
		t.Errorf("alerts after the refusal: %+v %v, want the one still open", alerts, err)
	}
	st, err := e.store.Stats(context.Background())
	if err != nil || st.DisputedOpen != 1 || st.DisputedReviewed != 0 || st.QuestionedOpen != 1 || st.QuestionedReviewed != 0 {
		t.Fatalf("stats after the refusals: %+v %v, want both still open", st, err)
	}
}
