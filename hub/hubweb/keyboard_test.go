package hubweb_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// TestBrowserKeyboardRegional: on every regional page Tab reaches every
// control, in visual order, each with a visible focus; logging in works
// with the keyboard alone.
func TestBrowserKeyboardRegional(t *testing.T) {
	e := newEnv(t)
	ctx := browsertest.New(t)
	step(t, ctx, "login page", chromedp.Navigate(e.ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-form")))
	browsertest.CheckKeyboard(t, ctx, "hub-login")
	step(t, ctx, "log in with the keyboard",
		chromedp.Focus(chromedp.ID("user")), chromedp.KeyEvent(supName), chromedp.KeyEvent("\t"),
		chromedp.KeyEvent(supPass), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("fleet")))
	for _, p := range []struct{ name, path, ready string }{
		{"hub-fleet", "/", "#fleet"},
		{"hub-lookup", "/lookup?by=serial&q=4711", "#found"},
		{"hub-alerts", "/alerts", "#lang-en"},
		{"hub-unverified", "/unverified", "#unverified"},
		{"hub-refused", "/refused", "#no-refused"},
		{"hub-offices", "/offices?office=426000&from=2026-11-19&to=2026-11-25", "#days"},
		{"hub-fleet-filtered", "/?office=4&state=silent", "#fleet-form"},
		{"hub-rejects", "/rejects?min=1&from=2026-11-19&to=2026-11-25", "#rejects"},
	} {
		step(t, ctx, p.name, chromedp.Navigate(e.ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		browsertest.CheckKeyboard(t, ctx, p.name)
	}
}
