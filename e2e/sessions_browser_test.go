package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// TestOperatorScreenEndsWithSession: the operator screen in Chromium, live
// over /operator/live, goes to the login page when `markd user passwd` (a
// separate process) changes the operator's password, and again when the
// operator logs out in another browser.
func TestOperatorScreenEndsWithSession(t *testing.T) {
	const op, opPass, newPass = "ivan", "operator-pass", "new-operator-pass"
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}})
	ctx := browsertest.New(t)

	connected := func(what string) {
		step(t, ctx, what, chromedp.Navigate(d.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)))
	}
	atLogin := func(what string, since time.Time) {
		step(t, ctx, what, chromedp.WaitVisible(chromedp.ID("login-form")))
		t.Logf("%s: %v", what, time.Since(since).Round(time.Millisecond))
		// the login back to the operator screen, saying the session ended
		if u := run(t, ctx, "page address", chromedp.Location()); u != d.URL+"/login?ended=ended&next=/" {
			t.Errorf("%s: page %s, want the login back to the operator screen with ended=ended", what, u)
		}
	}

	login(t, ctx, d.URL, op, opPass)
	connected("operator screen connected")
	start := time.Now()
	runCLI(t, newPass+"\n", "user", "passwd", op, "--config", cfg)
	t.Logf("markd user passwd took %v", time.Since(start).Round(time.Millisecond))
	atLogin("markd user passwd sends the screen to the login", start)
	screenshot(t, ctx, "session-ended-login")

	login(t, ctx, d.URL, op, newPass)
	connected("operator screen connected again")
	other := newBrowser(t, d.URL)
	if code := other.login(op, newPass); code != http.StatusSeeOther {
		t.Fatalf("login in the other browser: %d", code)
	}
	start = time.Now()
	if code := other.post("/", "/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("logout in the other browser: %d", code)
	}
	atLogin("logout in another browser sends the screen to the login", start)
}
