package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Stop is one place the Tab key brought the focus to.
type Stop struct {
	Desc    string  `json:"desc"` // tag#id.class "text"
	Top     float64 `json:"top"`  // page coordinates, CSS px
	Bottom  float64 `json:"bottom"`
	Left    float64 `json:"left"`
	Visible bool    `json:"visible"` // a focus indicator is drawn (outline or box-shadow)
	InView  bool    `json:"inView"`  // scrolled into the viewport
}

// stopScript describes document.activeElement and marks it as reached.
const stopScript = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  if (e.hasAttribute('data-tabwalk')) return {desc: 'again', again: true};
  e.setAttribute('data-tabwalk', '1');
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && (s.outlineStyle === 'auto' || parseFloat(s.outlineWidth) >= 1);
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 30);
  return {desc: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (text ? ' ' + JSON.stringify(text) : ''),
    top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX,
    visible: outline || shadow, inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth};
})()`

// unreachedScript lists the visible controls the walk did not reach.
const unreachedScript = `(() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const out = [];
  for (const e of document.querySelectorAll(sel)) {
    if (e.hasAttribute('data-tabwalk') || e.getClientRects().length === 0) continue;
    const s = getComputedStyle(e);
    if (s.visibility === 'hidden' || e.closest('[hidden], [inert]')) continue;
    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + JSON.stringify((e.innerText || '').trim().slice(0, 30)));
  }
  document.querySelectorAll('[data-tabwalk]').forEach(e => e.removeAttribute('data-tabwalk'));
  const start = document.getElementById('tabwalk-start');
  if (start) start.remove();
  return out;
})()`

// TabWalk presses Tab from the top of the page until the focus comes back
// to a control it reached before or leaves the page, at most max times,
// and returns the stops in order and the visible controls never reached.
func TabWalk(ctx context.Context, max int) (stops []Stop, unreached []string, err error) {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Evaluate[chromedp.Void](
		`(() => {
  document.querySelectorAll('[data-tabwalk]').forEach(e => e.removeAttribute('data-tabwalk'));
  // Start from the top of the page, wherever the focus was (autofocus).
  const start = document.createElement('span');
  start.tabIndex = -1;
  start.id = 'tabwalk-start';
  document.body.prepend(start);
  start.focus();
  window.scrollTo(0, 0);
})()`)); err != nil {
		return nil, nil, fmt.Errorf("tab walk: %w", err)
	}
	for i := 0; i < max; i++ {
		if err := chromedp.Do(wctx, chromedp.KeyEvent("\t")); err != nil {
			return nil, nil, fmt.Errorf("tab walk: %w", err)
		}
		raw, err := chromedp.Run(wctx, chromedp.Evaluate[[]byte](stopScript))
		if err != nil {
			return nil, nil, fmt.Errorf("tab walk: %w", err)
		}
		var s struct {
			Stop
			Again bool `json:"again"`
		}
		if string(raw) == "null" {
			break // focus left the page (the browser's own controls)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, nil, fmt.Errorf("tab walk: %w", err)
		}
		if s.Again {
			break
		}
		stops = append(stops, s.Stop)
	}
	unreached, err = chromedp.Run(wctx, chromedp.Evaluate[[]string](unreachedScript))
	if err != nil {
		return nil, nil, fmt.Errorf("tab walk: %w", err)
	}
	return stops, unreached, nil
}

// CheckKeyboard walks the page with Tab and fails t unless every visible
// control is reached, in visual order (left to right within a line, then
// down), each with a visible focus indicator and scrolled into view.
func CheckKeyboard(t *testing.T, ctx context.Context, name string) []Stop {
	t.Helper()
	stops, unreached, err := TabWalk(ctx, 200)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	problems := keyboardProblems(stops, unreached)
	if len(problems) > 0 {
		var order []string
		for _, s := range stops {
			order = append(order, s.Desc)
		}
		t.Errorf("%s: keyboard: %s\n  order: %s", name, strings.Join(problems, "\n  "), strings.Join(order, " → "))
	}
	return stops
}

// keyboardProblems judges a Tab walk: every control reached, each with a
// visible focus, scrolled into view, in visual order.
func keyboardProblems(stops []Stop, unreached []string) []string {
	var problems []string
	if len(unreached) > 0 {
		problems = append(problems, "not reached with Tab: "+strings.Join(unreached, ", "))
	}
	for i, s := range stops {
		if !s.Visible {
			problems = append(problems, fmt.Sprintf("stop %d %s: no visible focus indicator", i+1, s.Desc))
		}
		if !s.InView {
			problems = append(problems, fmt.Sprintf("stop %d %s: focused but not scrolled into view", i+1, s.Desc))
		}
		if i == 0 {
			continue
		}
		p := stops[i-1]
		sameLine := s.Top < p.Bottom-2 && p.Top < s.Bottom-2
		if (sameLine && s.Left < p.Left-2) || (!sameLine && s.Top < p.Top) {
			problems = append(problems, fmt.Sprintf("stop %d %s (top %.0f, left %.0f) comes after %s (top %.0f, left %.0f) but is before it on the screen",
				i+1, s.Desc, s.Top, s.Left, p.Desc, p.Top, p.Left))
		}
	}
	return problems
}
