package hubweb_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
	"markd/internal/devicecookie"
)

// TestBrowserDevices holds the regional devices page to WCAG 2.1 AA in
// both languages at 1024×768 and at 200 % zoom — the browser logged in
// and two more, one with a long unknown browser name, then after a
// revoke (the outcome line) — and revokes one with the page's button.
func TestBrowserDevices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i, ua := range []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Scanner-Kiosk/2.0 (build 1234567890; a very long name of a browser nobody knows) extra words here"} {
		if _, err := e.store.RecordDevice(ctx, supName, "dev-"+strconv.Itoa(i), devicecookie.Agent(ua), 0, e.now.Add(-time.Duration(i+1)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	routes := routeMux(t, e.store)
	bctx := browsertest.New(t)
	login(t, bctx, e)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, bctx, routes, e.ts.URL, a11yPage{name: "devices", path: "/devices", ready: "#devices"}, lang)
	}
	list, _ := e.store.Devices(ctx, supName)
	if len(list) != 3 {
		t.Fatalf("%d devices, want 3", len(list))
	}
	last := list[len(list)-1]
	step(t, bctx, "revoke the device unused longest",
		chromedp.Navigate(e.ts.URL+"/devices"),
		chromedp.Click(chromedp.CSS(`#devices tr[data-device="`+strconv.FormatInt(last.ID, 10)+`"] button`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if l, _ := e.store.Devices(ctx, supName); len(l) != 2 {
		t.Fatalf("after the revoke: %d devices, want 2", len(l))
	}
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, bctx, routes, e.ts.URL, a11yPage{name: "devices-revoked", path: "/devices?done=revoked", ready: "#flash"}, lang)
	}
}
