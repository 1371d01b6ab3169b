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

// TestBrowserRefused: a counter uploads a record of another office through
// the real API; the collector refuses it (400) and the regional page lists
// it with terminal, time, field and why, in both languages, at WCAG 2.1 AA.
func TestBrowserRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.store.AddTerminal(ctx, hub.Terminal{Name: "office-d", Office: 426000, TokenHash: hub.HashToken("tok-d"),
		Created: e.now.AddDate(0, -1, 0)}); err != nil {
		t.Fatal(err)
	}
	rec := hubtest.Rec("rec-far", 101000, "1", mark.Accept, 0)
	rec.At, rec.Mark = e.now.Add(-time.Minute), nil
	rec.Verdict = mark.NotAMark
	if code, _ := postAsD(t, e, hub.UploadRequest{Records: []hub.Record{rec}}); code != http.StatusBadRequest {
		t.Fatalf("record of another office: %d, want 400", code)
	}

	bctx := browsertest.New(t)
	login(t, bctx, e)
	step(t, bctx, "unverified links to refused", chromedp.Navigate(e.ts.URL+"/unverified"), chromedp.WaitVisible(chromedp.ID("unverified")),
		chromedp.Click(chromedp.CSS(`main a[href="/refused"]`)), chromedp.WaitVisible(chromedp.ID("refused")))
	row := text(t, bctx, `#refused tr[data-terminal="office-d"]`)
	for _, want := range []string{"426000", "office-d", "400", "records[0].office", "101000", "rec-far"} {
		if !strings.Contains(row, want) {
			t.Errorf("refused row %q lacks %q", row, want)
		}
	}
	for _, lang := range []string{"ru", "en"} {
		step(t, bctx, "refused "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/refused"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #refused`)))
		browsertest.Check(t, bctx, "hub-refused-"+lang, nil)
	}
}
