package web

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/devicecookie"
)

// TestBrowserDevices holds the devices page to WCAG 2.1 AA in both
// languages at 1024×768 and at 200 % zoom — a supervisor's own browser
// and the devices of another account with a long unknown browser name,
// then after a revoke (the outcome line) — and revokes the operator's
// device with the page's button.
func TestBrowserDevices(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	at := e.clock.Now().Add(-48 * time.Hour)
	for i, ua := range []string{firefoxUA, "Scanner-Kiosk/2.0 (build 1234567890; a very long name of a browser nobody knows) extra words here"} {
		if _, err := e.db.RecordDevice(ctx, opName, "op-"+strconv.Itoa(i), devicecookie.Agent(ua), 0, at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	bctx := browsertest.New(t)
	step(t, bctx, "log in as supervisor",
		loginTasks(e.ts.URL, supName, supPass),
	)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, bctx, a11yPage{name: "devices", path: "/devices", ready: "#devices-others"}, lang)
		screenshot(t, bctx, "web-devices-"+lang)
	}
	list, _ := e.db.Devices(ctx, opName)
	step(t, bctx, "revoke the operator's first device",
		chromedp.Navigate(e.ts.URL+"/devices"),
		chromedp.Click(chromedp.CSS(`#devices-others tr[data-device="`+strconv.FormatInt(list[0].ID, 10)+`"] button`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if l, _ := e.db.Devices(ctx, opName); len(l) != 1 || l[0].ID == list[0].ID {
		t.Fatalf("after the revoke the operator has %+v", l)
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, bctx, a11yPage{name: "devices-revoked", path: "/devices?done=revoked", ready: "#flash"}, lang)
	}
}
