package browsertest

import (
	"context"
	_ "embed" // axe.min.js
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// AxeVersion is the vendored axe-core (axe/README.md says where it is from).
const AxeVersion = "4.14.1"

const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

//go:embed axe/axe.min.js
var axeSource string

// View is a browser window size and zoom. At Zoom 2 the page is laid out on
// half the width and height in CSS pixels with every pixel drawn twice: what
// a person sees at 200 % browser zoom on that window.
type View struct {
	Name          string
	Width, Height int64 // window size in device pixels
	Zoom          float64
}

// The views every page is checked at: the smallest supported desk screen,
// the same at 200 % zoom (WCAG 1.4.4 resize text, 1.4.10 reflow), and the
// usual counter screen.
var (
	Desk    = View{Name: "1024x768", Width: 1024, Height: 768, Zoom: 1}
	Zoom200 = View{Name: "1024x768-200pct", Width: 1024, Height: 768, Zoom: 2}
	Counter = View{Name: "1366x768", Width: 1366, Height: 768, Zoom: 1}
)

// Views is the list the page checks walk by default.
var Views = []View{Desk, Zoom200}

// SetView resizes the page's viewport to v and waits for the new layout.
func SetView(ctx context.Context, v View) error {
	zoom := v.Zoom
	if zoom <= 0 {
		zoom = 1
	}
	p := emulation.SetDeviceMetricsOverrideParams{
		Width: int64(float64(v.Width) / zoom), Height: int64(float64(v.Height) / zoom), DeviceScaleFactor: zoom,
	}
	return chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, p)
			return err
		}),
		settle(),
	)
}

// settle waits two animation frames, so layout and paint follow a change.
func settle() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`,
		chromedp.EvalAwaitPromise)
}

// Violation is one axe-core rule a page breaks, with the nodes that break it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 6 {
			fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-i)
			break
		}
		fmt.Fprintf(&b, "\n    %s  %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
	}
	return b.String()
}

// axeRun runs the WCAG 2.0/2.1 A and AA rules, plus the best-practice rules
// the pages are held to as well (one h1, one main landmark, all content in
// landmarks, a skip link that works). It answers null when the world has
// no axe yet.
const axeRun = `(async () => {
  if (typeof axe !== 'object' || typeof axe.run !== 'function') return null;
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    rules: {'page-has-heading-one': {enabled: true}, 'landmark-one-main': {enabled: true},
            'region': {enabled: true}, 'skip-link': {enabled: true}, 'heading-order': {enabled: true}},
    resultTypes: ['violations'],
  });
  return r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 240), summary: n.failureSummary || ''}))}));
})()`

// axeWorld is the isolated world axe-core runs in: it shares the page's
// DOM, not its script globals, so a page's own script (one that fails, or
// defines an axe of its own) neither stops nor fools the check, and the
// page never sees axe. The debugger protocol puts it there: the page's
// CSP (script-src 'self') does not apply.
const axeWorld = "markd-axe"

// ErrNoAxe: axe-core is still not defined after its source was injected.
var ErrNoAxe = errors.New("axe: not defined in the page after it was injected")

// axeContext returns axeWorld's execution context in the tab's current
// document: the one made for an earlier check of this document (axe in it
// already), or a new one.
//
// Axe's source is injected into each document checked, not added to every
// new document with Page.addScriptToEvaluateOnNewDocument: measured in
// renderer CPU (TestInjectTiming), the injection costs little once V8 has
// compiled the source for the renderer, while the hook costs every
// navigation, checked or not, 50 to 80 ms.
func axeContext(ctx context.Context) (runtime.ExecutionContextID, error) {
	var id runtime.ExecutionContextID
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tree, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return fmt.Errorf("frame tree: %w", err)
		}
		w, err := cdp.Call(ctx, t, page.CreateIsolatedWorld,
			page.CreateIsolatedWorldParams{FrameID: tree.FrameTree.Frame.ID, WorldName: axeWorld})
		if err != nil {
			return fmt.Errorf("isolated world: %w", err)
		}
		id = w.ExecutionContextID
		return nil
	}))
	return id, err
}

// evalIn evaluates expr in the execution context id, awaiting a promise,
// and returns the result as JSON.
func evalIn(ctx context.Context, id runtime.ExecutionContextID, expr string) ([]byte, error) {
	var raw []byte
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		yes := true
		r, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ContextID: id,
			AwaitPromise: &yes, ReturnByValue: &yes})
		if err != nil {
			return err
		}
		if r.ExceptionDetails != nil {
			return &chromedp.ExceptionError{ExceptionDetails: r.ExceptionDetails}
		}
		raw = r.Result.Value
		return nil
	}))
	return raw, err
}

// Axe runs axe-core on the page as it is now and returns the violations.
func Axe(ctx context.Context) ([]Violation, error) {
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	id, err := axeContext(actx)
	if err != nil {
		return nil, fmt.Errorf("axe: %w", err)
	}
	raw, err := evalIn(actx, id, axeRun)
	if err != nil {
		return nil, fmt.Errorf("axe: run: %w", err)
	}
	if isNull(raw) { // the first check of this document
		if _, err := evalIn(actx, id, axeSource+"\n;true"); err != nil {
			return nil, fmt.Errorf("axe: inject: %w", err)
		}
		if raw, err = evalIn(actx, id, axeRun); err != nil {
			return nil, fmt.Errorf("axe: run: %w", err)
		}
		if isNull(raw) {
			return nil, ErrNoAxe
		}
	}
	var out []Violation
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("axe: result: %w", err)
	}
	return out, nil
}

func isNull(raw []byte) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// overflowScript lists what sticks out sideways: the page's scroll width
// against the viewport, and the widest elements beyond the right edge.
const overflowScript = `(() => {
  const de = document.documentElement, w = de.clientWidth;
  const out = {scroll: de.scrollWidth, width: w, wide: []};
  if (de.scrollWidth <= w) return out;
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    // A box within the page whose text runs out of it (nowrap) sticks out too.
    const spill = r.width > 0 && e.clientWidth > 0 && getComputedStyle(e).overflowX === 'visible' &&
      r.left + e.scrollWidth > w + 1;
    if ((r.right > w + 1 && r.width > 0) || spill) {
      let p = e.parentElement, clipped = false;
      for (; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) { clipped = true; break; }
      }
      if (!clipped) out.wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
        ' right=' + Math.round(Math.max(r.right, r.left + e.scrollWidth)));
    }
  }
  out.wide = out.wide.slice(0, 8);
  return out;
})()`

// SideScroll returns an error naming the widest elements when the page is
// wider than the viewport (WCAG 1.4.10: no scrolling in two directions).
func SideScroll(ctx context.Context) error {
	var res struct {
		Scroll int      `json:"scroll"`
		Width  int      `json:"width"`
		Wide   []string `json:"wide"`
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](overflowScript))
	if err != nil {
		return fmt.Errorf("side scroll: %w", err)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("side scroll: %w", err)
	}
	if res.Scroll > res.Width {
		return fmt.Errorf("page scrolls sideways: %d CSS px wide in a %d px viewport; sticking out: %s",
			res.Scroll, res.Width, strings.Join(res.Wide, ", "))
	}
	return nil
}

// containedScript lists descendants of each element matching the selector
// that reach outside it (text spilling out of a card onto the page).
const containedScript = `((sel) => {
  const out = [];
  for (const box of document.querySelectorAll(sel)) {
    const b = box.getBoundingClientRect();
    for (const e of box.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      // Inside a box that clips or scrolls (a visually hidden text, a
      // scrolling table), nothing spills onto the page.
      let clipped = false;
      for (let p = e.parentElement; p && p !== box; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible' || s.clipPath !== 'none') { clipped = true; break; }
      }
      if (clipped) continue;
      if (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1)
        out.push(sel + ' > ' + e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + JSON.stringify((e.textContent || '').slice(0, 40)));
    }
  }
  return out.slice(0, 8);
})`

// Contained returns an error when something inside an element matching sel
// is drawn outside it.
func Contained(ctx context.Context, sel string) error {
	arg, _ := json.Marshal(sel)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](containedScript+"("+string(arg)+")"))
	if err != nil {
		return fmt.Errorf("contained %s: %w", sel, err)
	}
	if len(out) > 0 {
		return fmt.Errorf("content outside %s: %s", sel, strings.Join(out, "; "))
	}
	return nil
}

// Check holds the page as it is now to WCAG 2.1 AA at each of views (Views
// when none are given): axe-core finds no violation, the page does not
// scroll sideways, and nothing inside an element matching one of
// contained is drawn outside it. With MARKD_A11Y_SHOTS set every view is
// kept as a screenshot, to look at. Failures are reported with t.Errorf under
// name and the view, with a screenshot of the failing view; the window's
// own viewport is restored afterwards.
func Check(t *testing.T, ctx context.Context, name string, views []View, contained ...string) {
	t.Helper()
	if len(views) == 0 {
		views = Views
	}
	for _, v := range views {
		if err := SetView(ctx, v); err != nil {
			t.Fatalf("%s: view %s: %v", name, v.Name, err)
		}
		var problems []string
		vs, err := Axe(ctx)
		if err != nil {
			t.Fatalf("%s at %s: %v", name, v.Name, err)
		}
		for _, x := range vs {
			problems = append(problems, x.String())
		}
		if err := SideScroll(ctx); err != nil {
			problems = append(problems, err.Error())
		}
		for _, sel := range contained {
			if err := Contained(ctx, sel); err != nil {
				problems = append(problems, err.Error())
			}
		}
		if len(problems) > 0 || os.Getenv("MARKD_A11Y_SHOTS") != "" {
			shot := "a11y-" + name + "-" + v.Name
			if err := Screenshot(t, ctx, shot); err != nil {
				t.Logf("screenshot %s: %v", shot, err)
			}
			if len(problems) > 0 {
				t.Errorf("%s at %s: %d problem(s) (screenshot %s.png):\n  %s", name, v.Name, len(problems), shot,
					strings.Join(problems, "\n  "))
			}
		}
	}
	if err := ResetView(ctx); err != nil {
		t.Fatalf("%s: reset the view: %v", name, err)
	}
}

// ResetView gives the page the window's own viewport again.
func ResetView(ctx context.Context) error {
	return chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		}),
		settle(),
	)
}
