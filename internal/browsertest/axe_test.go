package browsertest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAxeVendored: the embedded axe-core is the file and version the
// README names.
func TestAxeVendored(t *testing.T) {
	sum := sha256.Sum256([]byte(axeSource))
	if got := hex.EncodeToString(sum[:]); got != axeSHA256 {
		t.Fatalf("axe.min.js sha256 %s, want %s (update axe/README.md and axeSHA256 together)", got, axeSHA256)
	}
	if !strings.HasPrefix(axeSource, "/*! axe v"+AxeVersion+"\n") {
		t.Fatalf("axe.min.js does not start with the version header of %s: %q", AxeVersion, axeSource[:40])
	}
}

// Pages with known faults and one without, so the checks are seen to fail.
var axePages = map[string]string{
	"/clean": `<!doctype html><html lang="en"><head><title>ok</title></head><body>
<a href="#main" class="skip">Skip to content</a><header><p>top</p></header>
<main id="main"><h1>Fine</h1><p>Readable text.</p><img src="data:," alt="a dot"></main></body></html>`,
	"/faults": `<!doctype html><html><head><title>bad</title></head><body><main><h1>Bad</h1>
<p style="color:#aaa;background:#fff">low contrast</p><img src="data:,"><button></button></main></body></html>`,
	"/keys": `<!doctype html><html lang="en"><head><title>keys</title><style>#b:focus{outline:none}</style></head><body><main><h1>Keys</h1>
<a id="a" href="#x">first</a> <button id="b">no ring</button>
<div style="display:flex;flex-direction:row-reverse;justify-content:flex-end"><button id="c">shown right</button><button id="c2">shown left</button></div>
<p><button id="d">below</button></p><div id="e" tabindex="0">stop</div><button id="f" style="display:none">gone</button>
<button id="g" tabindex="-1">mouse only</button></main></body></html>`,
	// A page whose own script defines an axe that finds nothing, then fails.
	"/own-axe": `<!doctype html><html><head><title>own axe</title><script src="/own-axe.js"></script></head><body>
<main><h1>Own axe</h1><img src="data:,"></main></body></html>`,
	"/nowrap": `<!doctype html><html lang="en"><head><title>nowrap</title><meta name="viewport" content="width=device-width"></head><body>
<main><h1>Nowrap</h1><p id="nowrap" style="white-space:nowrap">` + strings.Repeat("a long line of text that does not wrap ", 8) + `</p></main></body></html>`,
	"/wide": `<!doctype html><html lang="en"><head><title>wide</title><meta name="viewport" content="width=device-width"></head><body>
<main><h1>Wide</h1><div id="fixed" style="width:800px">eight hundred pixels</div>
<div class="card" style="width:300px;background:#060;color:#fff"><span style="display:inline-block;width:400px">spills</span></div></main></body></html>`,
}

// axeScripts are the pages' own scripts.
var axeScripts = map[string]string{
	"/own-axe.js": `window.axe = {fake: true, run: async () => ({violations: [], passes: []})};
throw new Error('the page\'s own script fails');`,
}

func axeServer(t *testing.T) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if js, ok := axeScripts[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = io.WriteString(w, js)
			return
		}
		p, ok := axePages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The pages' own CSP forbids inline script: axe still runs.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'")
		_, _ = io.WriteString(w, p)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestAxeFindsViolations: axe reports the faults of a bad page and nothing
// on a clean one; the sideways-scroll and containment checks fire on an
// 800 px element at 200 % zoom (512 CSS px) but not at 1024 px.
func TestAxeFindsViolations(t *testing.T) {
	base := axeServer(t)
	ctx := New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/faults")); err != nil {
		t.Fatal(err)
	}
	vs, err := Axe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, v := range vs {
		ids[v.ID] = true
	}
	for _, want := range []string{"color-contrast", "image-alt", "button-name", "html-has-lang"} {
		if !ids[want] {
			t.Errorf("axe missed %s on the faulty page; found %v", want, vs)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/clean")); err != nil {
		t.Fatal(err)
	}
	if vs, err := Axe(ctx); err != nil || len(vs) != 0 {
		t.Errorf("clean page: %v %v", vs, err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/wide")); err != nil {
		t.Fatal(err)
	}
	if err := SetView(ctx, Desk); err != nil {
		t.Fatal(err)
	}
	if err := SideScroll(ctx); err != nil {
		t.Errorf("at 1024 px: %v", err)
	}
	if err := SetView(ctx, Zoom200); err != nil {
		t.Fatal(err)
	}
	err = SideScroll(ctx)
	if err == nil || !strings.Contains(err.Error(), "div#fixed") {
		t.Errorf("at 200 %%: want a sideways scroll naming div#fixed, got %v", err)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`)); w != 512 {
		t.Errorf("200 %% of 1024 px: %d CSS px wide, want 512", w)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/nowrap")); err != nil {
		t.Fatal(err)
	}
	// The paragraph's box fits; its text runs out of it: it is named.
	if err := SideScroll(ctx); err == nil || !strings.Contains(err.Error(), "p#nowrap") {
		t.Errorf("at 200 %%: want a sideways scroll naming p#nowrap, got %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/wide")); err != nil {
		t.Fatal(err)
	}
	if err := Contained(ctx, ".card"); err == nil || !strings.Contains(err.Error(), "spills") {
		t.Errorf("containment: want the spilling span, got %v", err)
	}
	if err := ResetView(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAxeApartFromPageScript: axe runs in a world of its own, so a page
// whose script defines an axe that finds nothing and then throws is still
// checked, in a tab's first page and the pages after it, twice on the same
// page (axe already there), and the page's own axe stays its own.
func TestAxeApartFromPageScript(t *testing.T) {
	base := axeServer(t)
	ctx := New(t)
	for i, path := range []string{"/own-axe", "/clean", "/own-axe", "", "/faults", "/own-axe"} {
		if path == "" { // the same page again
			path = "/own-axe"
		} else if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
			t.Fatal(err)
		}
		vs, err := Axe(ctx)
		if err != nil {
			t.Fatalf("%d %s: %v", i, path, err)
		}
		if path != "/own-axe" {
			continue
		}
		ids := map[string]bool{}
		for _, v := range vs {
			ids[v.ID] = true
		}
		if !ids["image-alt"] || !ids["html-has-lang"] {
			t.Errorf("%d %s: axe missed image-alt or html-has-lang; found %v", i, path, vs)
		}
		if fake, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.axe.fake === true`)); err != nil || !fake {
			t.Errorf("%d %s: the page's own axe is not its own: %v %v", i, path, fake, err)
		}
	}
}

// TestKeyboardWalk: the Tab walk finds a control with no focus ring, two
// that CSS shows in the other order, and one Tab never reaches.
func TestKeyboardWalk(t *testing.T) {
	base := axeServer(t)
	ctx := New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/keys")); err != nil {
		t.Fatal(err)
	}
	stops, unreached, err := TabWalk(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range stops {
		order = append(order, strings.Fields(s.Desc)[0])
	}
	if got := strings.Join(order, " "); got != "a#a button#b button#c button#c2 button#d div#e" {
		t.Errorf("tab order %q", got)
	}
	for _, s := range stops {
		if want := !strings.HasPrefix(s.Desc, "button#b"); s.Visible != want {
			t.Errorf("%s: visible focus %v, want %v", s.Desc, s.Visible, want)
		}
	}
	if len(unreached) != 1 || !strings.HasPrefix(unreached[0], "button#g") {
		t.Errorf("unreached %v, want button#g only", unreached)
	}
	got := strings.Join(keyboardProblems(stops, unreached), "\n")
	for _, want := range []string{"not reached with Tab: button#g", `stop 4 button#c2 "shown left"`, `button#b "no ring": no visible focus`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}
