package hubweb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/internal/browsertest"
	"markd/internal/testdata"
	"markd/mark"
)

const (
	supName = "region-sup"
	supPass = "correct horse battery"
)

// addSupervisor registers the account supName with supPass (bcrypt at
// its lowest cost), created at now.
func addSupervisor(t *testing.T, s hub.Regional, now time.Time) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(supPass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser(t.Context(), supName, string(hash), now); err != nil {
		t.Fatal(err)
	}
}

// addSession stores a session of supName whose cookie markhub_session
// is token (CSRF "c"), started at now and good for an hour.
func addSession(t *testing.T, s hub.Regional, token string, now time.Time) {
	t.Helper()
	h := sha256.Sum256([]byte(token))
	if err := s.PutSession(t.Context(), hub.WebSession{Hash: hex.EncodeToString(h[:]), User: supName, CSRF: "c", Expires: now.Add(time.Hour), Started: now}); err != nil {
		t.Fatal(err)
	}
}

type env struct {
	ts    *httptest.Server
	store *sqlitestore.DB
	now   time.Time
}

// newEnv is a collector store with three terminals (fresh, stale, never
// seen), a cross-office reuse, an unverified record and one account, and
// the regional pages over it.
func newEnv(t *testing.T) *env { t.Helper(); return newEnvPaged(t, 0) }

// newEnvPaged is newEnv with fleet pages of pageSize terminals (0: the
// default).
func newEnvPaged(t *testing.T, pageSize int) *env {
	t.Helper()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := testdata.Now()
	for _, tm := range []hub.Terminal{{Name: "office-a", Office: 426000}, {Name: "office-b", Office: 101000}, {Name: "office-c", Office: 190000}} {
		tm.Created = now.Add(-30 * 24 * time.Hour)
		if err := s.AddTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.NoteClock(ctx, "office-a", 3*time.Second, now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteClock(ctx, "office-b", -5*time.Minute, now.Add(-30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// office-a judges its dates at UTC+3 for an office in UTC+5; office-b
	// is set to its office's zone, its zone data give another offset.
	for term, z := range map[string]hub.ZoneNote{
		"office-a": {Check: hub.ZoneDiffers, At: now.Add(-2 * time.Hour), Offset: 3 * 3600, Expected: 5 * 3600,
			Zone: "Asia/Yekaterinburg", CounterZone: "Europe/Moscow"},
		"office-b": {Check: hub.ZoneDataDiffer, At: now.Add(-time.Hour), Offset: 4 * 3600, Expected: 3 * 3600,
			Zone: "Europe/Moscow", CounterZone: "Europe/Moscow"},
	} {
		if err := s.NoteZone(ctx, term, z); err != nil {
			t.Fatal(err)
		}
	}
	a := hubtest.Rec("rec-a", 426000, "1", mark.Accept, 4711)
	a.At = now.Add(-2 * time.Hour)
	b := hubtest.Rec("rec-b", 101000, "2", mark.Accept, 4711)
	b.At = now.Add(-time.Hour)
	bad := hubtest.Rec("rec-bad", 101000, "2", mark.Accept, 4712)
	bad.Verification, bad.Why = hub.Unverified, "signature does not verify"
	waiting := int64(37)
	for _, up := range []struct {
		term    string
		recs    []hub.Record
		waiting *int64
	}{{"office-a", []hub.Record{a}, nil}, {"office-b", []hub.Record{b, bad}, &waiting}} {
		if _, err := s.Ingest(ctx, up.term, &hub.UploadRequest{Records: up.recs, Waiting: up.waiting}, now); err != nil {
			t.Fatal(err)
		}
	}
	addSupervisor(t, s, now)
	pages, err := hubweb.New(hubweb.Options{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now }, FleetPageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	t.Cleanup(ts.Close)
	return &env{ts: ts, store: s, now: now}
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowserRegional logs in, reads the fleet (freshness and skew), finds
// both scans of a reused serial in time order, acknowledges and resolves
// the alert with notes (audited), and holds every page to WCAG 2.1 AA in
// both languages.
func TestBrowserRegional(t *testing.T) {
	e := newEnv(t)
	ctx := browsertest.New(t)
	step(t, ctx, "login page", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.ID("login-form")))
	for _, lang := range []string{"ru", "en"} {
		step(t, ctx, "language "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/login"),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #login-form`)))
		browsertest.Check(t, ctx, "hub-login-"+lang, nil)
	}
	step(t, ctx, "wrong password", chromedp.SendKeys(chromedp.ID("user"), supName),
		chromedp.SendKeys(chromedp.ID("password"), "nope nope nope"), chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("error")))
	step(t, ctx, "log in", chromedp.SetValue(chromedp.ID("user"), supName), chromedp.SendKeys(chromedp.ID("password"), supPass),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("fleet")))

	step(t, ctx, "fleet", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("fleet")))
	for term, fresh := range map[string]string{"office-a": "ok", "office-b": "hard", "office-c": "never"} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-terminal="`+term+`"]').dataset.fresh`))
		if err != nil || got != fresh {
			t.Errorf("fleet: %s is %q (%v), want %q", term, got, err, fresh)
		}
	}
	if row := text(t, ctx, `tr[data-terminal="office-b"]`); !strings.Contains(row, "101000") || !strings.Contains(row, "-300 s") {
		t.Errorf("fleet row of office-b: %q, want office 101000 and skew -300 s", row)
	}
	if row := text(t, ctx, `tr[data-terminal="office-a"]`); !strings.Contains(row, "k1 / t1 / r1") {
		t.Errorf("fleet row of office-a: %q, want the list versions k1 / t1 / r1", row)
	}
	// Records waiting: office-b reported 37; office-a never reported it
	// (an older counter): unknown, not 0.
	for term, want := range map[string]string{"office-a": "unknown", "office-b": "37", "office-c": "unknown"} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('tr[data-terminal="`+term+`"] [data-waiting]').dataset.waiting`))
		if err != nil || got != want {
			t.Errorf("records waiting at %s: %q (%v), want %q", term, got, err, want)
		}
	}
	for _, lang := range []string{"en", "ru"} {
		step(t, ctx, "fleet "+lang, chromedp.Navigate(e.ts.URL+"/lang?set="+lang+"&next=/"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #fleet`)))
		browsertest.Check(t, ctx, "hub-fleet-"+lang, nil)
	}

	step(t, ctx, "lookup", chromedp.Navigate(e.ts.URL+"/lookup"), chromedp.WaitVisible(chromedp.ID("lookup-form")),
		chromedp.SendKeys(chromedp.ID("q"), "4711"), chromedp.Click(chromedp.ID("find")), chromedp.WaitVisible(chromedp.ID("found")))
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#found tbody tr')].map(r => r.dataset.record)`))
	if err != nil || strings.Join(ids, ",") != "rec-a,rec-b" {
		t.Errorf("lookup of serial 4711: %v %v, want rec-a,rec-b in scan-time order", ids, err)
	}
	browsertest.Check(t, ctx, "hub-lookup-ru", nil)
	step(t, ctx, "bad lookup", chromedp.Navigate(e.ts.URL+"/lookup?by=serial&q=abc"), chromedp.WaitVisible(chromedp.ID("error")))
	if msg := text(t, ctx, "#error"); !strings.Contains(msg, `serial "abc"`) {
		t.Errorf("bad lookup says %q, want it to name the serial", msg)
	}

	step(t, ctx, "unverified", chromedp.Navigate(e.ts.URL+"/unverified"), chromedp.WaitVisible(chromedp.ID("unverified")))
	if row := text(t, ctx, `tr[data-record="rec-bad"]`); !strings.Contains(row, "signature does not verify") || !strings.Contains(row, "101000") {
		t.Errorf("unverified row: %q, want office 101000 and why", row)
	}
	browsertest.Check(t, ctx, "hub-unverified-ru", nil)

	alerts, err := e.store.ReuseAlerts(context.Background(), true, 10)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	id := alerts[0].ID
	sid := "#alert-" + itoa(id)
	step(t, ctx, "alerts", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.CSS(sid)))
	browsertest.Check(t, ctx, "hub-alerts-ru", nil)
	step(t, ctx, "acknowledge", chromedp.SendKeys(chromedp.ID("note-"+itoa(id)), "calling both offices"),
		chromedp.Click(chromedp.ID("ack-"+itoa(id))), chromedp.WaitVisible(chromedp.ID("flash")))
	if s := text(t, ctx, sid); !strings.Contains(s, "calling both offices ("+supName+")") {
		t.Errorf("acknowledged alert shows %q", s)
	}
	step(t, ctx, "resolve without a note", chromedp.Click(chromedp.ID("resolve-"+itoa(id))), chromedp.WaitVisible(chromedp.ID("error")))
	step(t, ctx, "alerts again", chromedp.Navigate(e.ts.URL+"/alerts"), chromedp.WaitVisible(chromedp.CSS(sid)))
	step(t, ctx, "resolve", chromedp.SendKeys(chromedp.ID("note-"+itoa(id)), "office 101000 took a copy"),
		chromedp.Click(chromedp.ID("resolve-"+itoa(id))), chromedp.WaitVisible(chromedp.ID("no-alerts")))
	step(t, ctx, "english alerts", chromedp.Click(chromedp.ID("lang-en")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #show-all`)),
		chromedp.Click(chromedp.ID("show-all")), chromedp.WaitVisible(chromedp.CSS(sid)))
	browsertest.Check(t, ctx, "hub-alerts-en", nil)
	audit, err := e.store.AlertAudit(context.Background(), id)
	if err != nil || len(audit) != 2 || audit[0].State != hub.AlertAcknowledged || audit[1].State != hub.AlertResolved ||
		audit[1].Actor != supName || audit[1].Note != "office 101000 took a copy" {
		t.Fatalf("audit of alert %d: %+v %v", id, audit, err)
	}
	// Both sides of the pair moved: the counters' own rows are resolved too.
	all, _ := e.store.ReuseAlerts(context.Background(), false, 10)
	if len(all) != 1 || all[0].State != hub.AlertResolved {
		t.Fatalf("after resolve: %+v", all)
	}
	step(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	step(t, ctx, "fleet needs a login again", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-form")))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
