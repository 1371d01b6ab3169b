package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// timingPage is a page the size of a busy regional page: a header and
// navigation, a form, a table of 60 rows with links and buttons, its own
// style sheet and script (the CSP allows 'self' only).
var timingPage = func() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fleet</title>
<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head><body>
<a href="#main" class="skip">Skip to content</a><header><nav aria-label="Pages"><ul>`)
	for _, p := range []string{"Fleet", "Offices", "Disputed", "Rejects", "Refused", "Accounts"} {
		fmt.Fprintf(&b, `<li><a href="/%s">%s</a></li>`, strings.ToLower(p), p)
	}
	b.WriteString(`</ul></nav></header><main id="main"><h1>Fleet</h1>
<form method="get" action="/fleet"><label for="q">Office</label> <input id="q" name="q"> <label for="d">Day</label> <input id="d" name="d" type="date"> <button>Show</button></form>
<table><caption>Terminals</caption><thead><tr><th scope="col">Terminal</th><th scope="col">Office</th><th scope="col">Last seen</th><th scope="col">Scans</th><th scope="col">State</th><th scope="col">Action</th></tr></thead><tbody>`)
	for i := range 60 {
		fmt.Fprintf(&b, `<tr><td><a href="/device/rec-%02d">rec-%02d</a></td><td>%d</td><td>2026-03-0%d 10:%02d</td><td>%d</td><td><span class="state">ok</span></td><td><button type="button">Details for rec-%02d</button></td></tr>`,
			i, i, 4800+i, 1+i%9, i, 100*i, i)
	}
	b.WriteString(`</tbody></table></main><footer><p>markd</p></footer></body></html>`)
	return b.String()
}()

const timingCSS = `body{font:16px/1.5 sans-serif;margin:0;color:#111;background:#fff}
header{background:#036;color:#fff}header a{color:#fff}nav ul{display:flex;flex-wrap:wrap;gap:1em;list-style:none;margin:0;padding:.5em}
main{padding:1em;max-width:70em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #666;padding:.25em .5em;text-align:left}
.skip{position:absolute;left:-999px}.skip:focus{left:0}.state{color:#060}@media (max-width:600px){table{display:block;overflow-x:auto}}`

func timingServer(t *testing.T) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		switch r.URL.Path {
		case "/app.css":
			w.Header().Set("Content-Type", "text/css")
			_, _ = io.WriteString(w, timingCSS)
		case "/app.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = io.WriteString(w, `document.documentElement.dataset.js = 'on';`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, timingPage)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// phases adds up the wall time of named phases over rounds, and the CPU
// time of the browser's renderer in them (Performance.getMetrics
// ProcessTime), which the load of a shared machine does not inflate.
type phases struct {
	order    []string
	wall     map[string]time.Duration
	cpu      map[string]float64
	n        map[string]int
	perfOn   map[context.Context]bool
	noMetric bool
}

// processTime is the CPU time in seconds of the process rendering ctx's tab.
func (p *phases) processTime(ctx context.Context) float64 {
	var v float64
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if !p.perfOn[ctx] {
			if _, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{}); err != nil {
				return err
			}
		}
		m, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
		for _, x := range m.Metrics {
			if x.Name == "ProcessTime" {
				v = x.Value
			}
		}
		return err
	}))
	if err != nil {
		p.noMetric = true
	}
	return v
}

func (p *phases) time(t *testing.T, ctx context.Context, name string, f func() error) {
	t.Helper()
	if p.wall == nil {
		p.wall, p.cpu, p.n, p.perfOn = map[string]time.Duration{}, map[string]float64{}, map[string]int{}, map[context.Context]bool{}
	}
	cpu0 := p.processTime(ctx)
	p.perfOn[ctx] = true
	start := time.Now()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	wall := time.Since(start)
	cpu1 := p.processTime(ctx)
	if _, ok := p.wall[name]; !ok {
		p.order = append(p.order, name)
	}
	p.wall[name] += wall
	p.cpu[name] += cpu1 - cpu0
	p.n[name]++
}

func (p *phases) report(t *testing.T) {
	t.Helper()
	load, _ := os.ReadFile("/proc/loadavg")
	var b strings.Builder
	fmt.Fprintf(&b, "load %s  %-30s %4s   %10s %12s\n", load, "phase", "n", "wall ms", "renderer CPU ms")
	names := append([]string(nil), p.order...)
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-30s %4d × %8.1f   %8.1f\n", n, p.n[n], float64(p.wall[n].Microseconds())/1000/float64(p.n[n]),
			p.cpu[n]*1000/float64(p.n[n]))
	}
	t.Log("\n" + b.String())
}

// axeOld is Axe as it was before the isolated world and the new-document
// hook: the source evaluated in the page's own world after each load.
func axeOld(ctx context.Context) error {
	has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return err
	}
	if !has {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;true")); err != nil {
			return err
		}
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](axeRun, chromedp.EvalAwaitPromise))
	if err == nil && isNull(raw) {
		err = ErrNoAxe
	}
	return err
}

// TestCheckTiming times the phases of a page check, the old way and the
// new, in two browsers taking turns, to see where the time of the browser
// suites goes. It runs only with MARKD_A11Y_TIMING set.
func TestCheckTiming(t *testing.T) {
	if os.Getenv("MARKD_A11Y_TIMING") == "" {
		t.Skip("timing only: set MARKD_A11Y_TIMING=1")
	}
	base := timingServer(t)
	ctxOld, ctxNew := New(t), New(t)
	var p phases
	for _, ctx := range []context.Context{ctxOld, ctxNew} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		if err := axeOld(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := Axe(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		for _, old := range []bool{true, false} {
			ctx, tag := ctxNew, " (new)"
			axe := func() error { _, err := Axe(ctx); return err }
			if old {
				ctx, tag, axe = ctxOld, " (old)", func() error { return axeOld(ctxOld) }
			}
			p.time(t, ctx, "navigate"+tag, func() error { return chromedp.Do(ctx, chromedp.Navigate(base+"/fleet")) })
			p.time(t, ctx, "SetView desk"+tag, func() error { return SetView(ctx, Desk) })
			p.time(t, ctx, "Axe desk"+tag, axe)
			p.time(t, ctx, "SideScroll desk"+tag, func() error { return SideScroll(ctx) })
			p.time(t, ctx, "Contained desk"+tag, func() error { return Contained(ctx, "main") })
			p.time(t, ctx, "SetView 200%"+tag, func() error { return SetView(ctx, Zoom200) })
			p.time(t, ctx, "Axe 200%"+tag, axe)
			p.time(t, ctx, "ResetView"+tag, func() error { return ResetView(ctx) })
		}
	}
	for range 5 {
		p.time(t, ctxNew, "navigate + Check (new)", func() error {
			if err := chromedp.Do(ctxNew, chromedp.Navigate(base+"/fleet")); err != nil {
				return err
			}
			Check(t, ctxNew, "timing", nil, "main")
			return nil
		})
	}
	p.report(t)
}

// TestAxeRuleTiming times each rule axeRun runs, alone, on timingPage.
func TestAxeRuleTiming(t *testing.T) {
	if os.Getenv("MARKD_A11Y_TIMING") == "" {
		t.Skip("timing only: set MARKD_A11Y_TIMING=1")
	}
	base := timingServer(t)
	ctx := New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/fleet"), chromedp.Evaluate[chromedp.Void](axeSource+"\n;true")); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => {
  const opts = {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    rules: {'page-has-heading-one': {enabled: true}, 'landmark-one-main': {enabled: true},
            'region': {enabled: true}, 'skip-link': {enabled: true}, 'heading-order': {enabled: true}},
    resultTypes: ['violations']};
  const out = [];
  let t0 = performance.now(); await axe.run(document, opts); out.push(['all', performance.now() - t0]);
  t0 = performance.now(); await axe.run(document, opts); out.push(['all again', performance.now() - t0]);
  t0 = performance.now(); await axe.run(document, {...opts, selectors: false}); out.push(['all selectors:false', performance.now() - t0]);
  t0 = performance.now(); await axe.run(document, {...opts, preload: false}); out.push(['all preload:false', performance.now() - t0]);
  t0 = performance.now(); await axe.run(document, {runOnly: {type: 'rule', values: ['document-title']}, resultTypes: ['violations']}); out.push(['one cheap rule', performance.now() - t0]);
  const r = await axe.run(document, opts);
  const ids = [...r.passes, ...r.violations, ...r.incomplete, ...r.inapplicable].map(x => x.id);
  for (const id of ids) {
    t0 = performance.now();
    await axe.run(document, {runOnly: {type: 'rule', values: [id]}, resultTypes: ['violations']});
    out.push([id, performance.now() - t0]);
  }
  return out;
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][2]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(rows[5:], func(i, j int) bool { return rows[5+i][1].(float64) > rows[5+j][1].(float64) })
	var b strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "load %s", load)
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-32s %8.1f ms\n", r[0], r[1])
	}
	t.Log("\n" + b.String())
}

// TestInjectTiming compares ways of giving each new page axe: evaluated
// in the page's world after the load (as Axe did), added to every new
// document in the page's world or in an isolated one, compiled and run per
// page, and Axe as it is (injected into its isolated world per document).
func TestInjectTiming(t *testing.T) {
	if os.Getenv("MARKD_A11Y_TIMING") == "" {
		t.Skip("timing only: set MARKD_A11Y_TIMING=1")
	}
	base := timingServer(t)
	run := func(ctx context.Context, contextID runtime.ExecutionContextID) error {
		return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			r, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{Expression: axeRun, AwaitPromise: ptrTo(true), ReturnByValue: ptrTo(true), ContextID: contextID})
			if err == nil && r.ExceptionDetails != nil {
				err = &chromedp.ExceptionError{ExceptionDetails: r.ExceptionDetails}
			}
			return err
		}))
	}
	world := func(ctx context.Context) (runtime.ExecutionContextID, error) {
		var id runtime.ExecutionContextID
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			tree, err := cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
			if err != nil {
				return err
			}
			w, err := cdp.Call(ctx, tg, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: tree.FrameTree.Frame.ID, WorldName: "axe"})
			id = w.ExecutionContextID
			return err
		}))
		return id, err
	}
	for _, variant := range []string{"evaluate", "new-document", "new-document-world", "compile-run", "Axe"} {
		t.Run(variant, func(t *testing.T) {
			ctx := New(t)
			var p phases
			switch variant {
			case "new-document", "new-document-world":
				wn := ""
				if variant == "new-document-world" {
					wn = "axe"
				}
				if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axeSource, WorldName: wn})
					return err
				})); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 6 {
				p.time(t, ctx, fmt.Sprintf("navigate %d", min(i, 1)), func() error { return chromedp.Do(ctx, chromedp.Navigate(base+"/fleet")) })
				var cid runtime.ExecutionContextID
				p.time(t, ctx, fmt.Sprintf("inject %d", min(i, 1)), func() error {
					switch variant {
					case "evaluate":
						return chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;true"))
					case "new-document-world":
						var err error
						cid, err = world(ctx)
						return err
					case "compile-run":
						return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
							c, err := cdp.Call(ctx, tg, runtime.CompileScript, runtime.CompileScriptParams{Expression: axeSource, SourceURL: "axe.min.js", PersistScript: true})
							if err != nil {
								return err
							}
							_, err = cdp.Call(ctx, tg, runtime.RunScript, runtime.RunScriptParams{ScriptID: c.ScriptID})
							return err
						}))
					}
					return nil
				})
				if variant == "Axe" { // as Check does: injected into the isolated world
					run = func(ctx context.Context, _ runtime.ExecutionContextID) error { _, err := Axe(ctx); return err }
				}
				p.time(t, ctx, fmt.Sprintf("axe run 1st %d", min(i, 1)), func() error { return run(ctx, cid) })
				p.time(t, ctx, fmt.Sprintf("axe run 2nd %d", min(i, 1)), func() error { return run(ctx, cid) })
			}
			p.report(t)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestWorldTiming runs axe on one page by turns in the page's own world
// and in axeWorld, to compare the two worlds' cost.
func TestWorldTiming(t *testing.T) {
	if os.Getenv("MARKD_A11Y_TIMING") == "" {
		t.Skip("timing only: set MARKD_A11Y_TIMING=1")
	}
	base := timingServer(t)
	ctx := New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/fleet")); err != nil {
		t.Fatal(err)
	}
	var p phases
	for range 8 {
		p.time(t, ctx, "main world", func() error { return axeOld(ctx) })
		p.time(t, ctx, "isolated world", func() error { _, err := Axe(ctx); return err })
	}
	p.report(t)
}
