package hubweb_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/browsertest"
	"markd/mark"
)

// TestBrowserDisputed: a counter uploads through the real API an ACCEPT of
// a mark issued for another office; the collector stores it disputed
// (WRONG_OFFICE) and the alerts page lists it beside the reuse alerts with
// office, terminal, serial, the reason code and why, and its CSV carries
// it, in both languages at WCAG 2.1 AA.
func TestBrowserDisputed(t *testing.T) {
	e := newEnv(t)
	if raw := uploadOtherOffice(t, e, otherOffice{"rec-other-office", 4800}); !strings.Contains(raw, `"disputed":1`) {
		t.Fatalf("upload: %s", raw)
	}

	ctx := browsertest.New(t)
	login(t, ctx, e)
	step(t, ctx, "alerts", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.ID("disputed")))
	row := text(t, ctx, `#disputed tr[data-record="rec-other-office"]`)
	for _, want := range []string{"426000", "office-d, 3", "4800", "WRONG_OFFICE", "101000"} {
		if !strings.Contains(row, want) {
			t.Errorf("disputed row %q lacks %q", row, want)
		}
	}
	browsertest.CheckKeyboard(t, ctx, "hub-disputed")
	if got := text(t, ctx, "#disputed-total"); got != "(1)" {
		t.Errorf("disputed total %q, want (1)", got)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.getElementById('disputed-csv').href).then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(csv, "scanned,received,office,terminal,counter,record_id,serial,reasons,why,review_state,reviewed_at,review_by,review_note\n") ||
		!strings.Contains(csv, ",426000,office-d,3,rec-other-office,4800,WRONG_OFFICE,") || !strings.HasSuffix(csv, ",open,,,\n") {
		t.Errorf("CSV (%v):\n%s", err, csv)
	}
	step(t, ctx, "the serial's lookup", chromedp.Click(chromedp.CSS(`#disputed a[href="/lookup?by=serial&q=4800"]`)),
		chromedp.WaitVisible(chromedp.ID("found")))
	found := text(t, ctx, `#found tr[data-record="rec-other-office"]`)
	for _, want := range []string{"verified", "the mark is for office 101000"} {
		if !strings.Contains(found, want) {
			t.Errorf("lookup row %q lacks %q", found, want)
		}
	}
	if code := text(t, ctx, `#found tr[data-record="rec-other-office"] td:nth-child(5) code`); code != "WRONG_OFFICE" {
		t.Errorf("lookup: disputed codes %q, want WRONG_OFFICE", code)
	}
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "lookup "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/lookup?by=serial%26q=4800"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #found`)))
		browsertest.Check(t, ctx, "hub-disputed-lookup-"+lang, nil)
	}
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "alerts "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/alerts"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #disputed`)))
		browsertest.Check(t, ctx, "hub-disputed-"+lang, nil)
	}
}

// otherOffice is a record of uploadOtherOffice: its id and its mark's serial.
type otherOffice struct {
	id     string
	serial uint64
}

// uploadOtherOffice publishes the test bundle, adds terminal office-d
// (office 426000) and uploads as it through the real API an ACCEPT
// record of each recs, of a mark issued for office 101000, scanned a
// minute apart, the last a minute before now: the collector disputes
// each (WRONG_OFFICE). It returns the answer's body.
func uploadOtherOffice(t *testing.T, e *env, recs ...otherOffice) string {
	t.Helper()
	hubtest.Publish(t, e.store)
	if err := e.store.AddTerminal(t.Context(), hub.Terminal{Name: "office-d", Office: 426000, TokenHash: hub.HashToken("tok-d"),
		Created: e.now.AddDate(0, -1, 0)}); err != nil {
		t.Fatal(err)
	}
	var up hub.UploadRequest
	for i, o := range recs {
		up.Records = append(up.Records, signedRec(e, o.id, mark.Accept, o.serial, 101000, time.Duration(len(recs)-i)*time.Minute))
	}
	code, raw := postAsD(t, e, up)
	if code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, raw)
	}
	return string(raw)
}

// signedRec is a record of office 426000's counter 3 with verdict v of
// a signed mark of serial issued for office (0: any), valid from a month
// before now to a month after, scanned ago before now.
func signedRec(e *env, id string, v mark.Verdict, serial uint64, office uint32, ago time.Duration) hub.Record {
	rec := hubtest.Rec(id, 426000, "3", v, 0)
	m := hubtest.TestMark(serial, office)
	m.Issued, m.ValidUntil = mark.DayOf(e.now.AddDate(0, -1, 0)), mark.DayOf(e.now.AddDate(0, 1, 0))
	f := m.Fields()
	rec.Mark, rec.Text, rec.At = &f, hubtest.Sign(m), e.now.Add(-ago)
	return rec
}

// postAsD uploads up as terminal office-d through a real API on e's
// store: the answer's status and body.
func postAsD(t *testing.T, e *env, up hub.UploadRequest) (int, []byte) {
	t.Helper()
	api := httptest.NewServer(hub.NewServer(e.store, hub.ServerOptions{Now: func() time.Time { return e.now }}).Handler())
	defer api.Close()
	body, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	code, _, raw := hubtest.Post(t, api.URL, "tok-d", "", body, nil)
	return code, raw
}
