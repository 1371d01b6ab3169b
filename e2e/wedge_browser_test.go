package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"markd/internal/browsertest"
)

// typeJS types text into the focused element (the body when none) as key
// events: KeyboardEvent.code is the physical key of a US keyboard, key is
// what the desktop layout makes of it ("us" or "ru": a Russian layout
// turns KeyE into "у"). Shifted characters get a Shift keydown first, as
// a scanner sends it. gap is the time between keys in ms (0: a scanner's
// burst, 2 ms a key); Enter ends the text.
//
// Each event carries the time its key was pressed, as the browser stamps a
// real key with the input's time rather than its dispatch: a synthetic
// event's own timeStamp is when the script made it, so a test machine that
// stalls the script for 40 ms would cut a burst in two. The stamps follow
// one clock across calls (window.__keyClock), never behind the page's.
const typeJS = `async (text, layout, gap) => {
  const ru = {q:'й',w:'ц',e:'у',r:'к',t:'е',y:'н',u:'г',i:'ш',o:'щ',p:'з',a:'ф',s:'ы',d:'в',f:'а',
    g:'п',h:'р',j:'о',k:'л',l:'д',z:'я',x:'ч',c:'с',v:'м',b:'и',n:'т',m:'ь',';':'ж'};
  const shifted = {':':';'};
  const target = document.activeElement || document.body;
  const step = gap || 2;
  let at = Math.max(performance.now(), window.__keyClock || 0);
  const press = (code, key, shiftKey) => {
    const ev = new KeyboardEvent('keydown', {code, key, shiftKey, bubbles: true, cancelable: true});
    Object.defineProperty(ev, 'timeStamp', {value: at});
    target.dispatchEvent(ev);
  };
  for (const ch of text) {
    let base = ch.toLowerCase(), shift = ch !== base;
    if (shifted[ch]) { base = shifted[ch]; shift = true; }
    let code;
    if (/[a-z]/.test(base)) code = 'Key' + base.toUpperCase();
    else if (/[0-9]/.test(base)) code = 'Digit' + base;
    else if (base === ';') code = 'Semicolon';
    else if (base === ' ') code = 'Space';
    else throw new Error('no key for ' + ch);
    let key = ch;
    if (layout === 'ru' && ru[base]) key = shift ? ru[base].toUpperCase() : ru[base];
    if (shift) press('ShiftLeft', 'Shift', true);
    press(code, key, shift);
    at += step;
    if (gap) await new Promise(r => setTimeout(r, gap));
  }
  press('Enter', 'Enter', false);
  window.__keyClock = at + step;
  return target.id || target.tagName;
}`

func typeKeys(text, layout string, gapMs int) string {
	b, _ := json.Marshal(text)
	return "(" + typeJS + ")(" + string(b) + ", '" + layout + "', " + strconv.Itoa(gapMs) + ")"
}

// TestBrowserWedge: a keyboard-wedge scanner types marks into the operator
// screen under the US and the Russian layout; the page reads the physical
// keys and posts each burst, which markd judges as source browser-wedge.
// A burst into the batch form's field is taken too, without submitting the
// form; a person typing at human speed is left alone.
func TestBrowserWedge(t *testing.T) {
	const op, opPass = "olga", "operator-pass"
	d := startDaemon(t, map[string][2]string{op: {"operator", opPass}})
	ctx := browsertest.New(t)
	login(t, ctx, d.URL, op, opPass)
	step(t, ctx, "operator screen connected",
		chromedp.Navigate(d.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="ok"]`)),
	)
	good := vector(t, "valid registered letter")
	other := vector(t, "valid ecdsa p-256 key")
	if !strings.HasPrefix(good, "EPM1:") || !strings.HasPrefix(other, "EPM1:") {
		t.Fatal("vectors are not EPM1 texts")
	}
	// wedgeScans lists the stored scans of source browser-wedge through
	// the API with the browser's session.
	type scan struct {
		Text    string `json:"text"`
		Verdict string `json:"verdict"`
	}
	wedgeScans := func() []scan {
		js := run(t, ctx, "list scans", chromedp.Evaluate[string](
			`fetch('/api/scans', {headers: {Accept: 'application/json'}}).then(r => r.text())`, chromedp.EvalAwaitPromise))
		var body struct {
			Scans []struct {
				scan
				Source string `json:"source"`
			} `json:"scans"`
		}
		if err := json.Unmarshal([]byte(js), &body); err != nil {
			t.Fatalf("/api/scans: %v: %s", err, js)
		}
		var out []scan
		for _, s := range body.Scans {
			if s.Source == "browser-wedge" {
				out = append(out, s.scan)
			}
		}
		return out
	}
	sources := func() int { return len(wedgeScans()) }

	run(t, ctx, "scanner, US layout", chromedp.Evaluate[string](typeKeys(good, "us", 0), chromedp.EvalAwaitPromise))
	waitFor(t, "first wedge scan", func() bool { return len(wedgeScans()) == 1 })
	if got := wedgeScans(); got[0] != (scan{good, "ACCEPT"}) {
		t.Fatalf("wedge scan %+v, want the mark %q, ACCEPT", got[0], good)
	}
	step(t, ctx, "verdict shown", chromedp.WaitVisible(chromedp.CSS(`#current.v-ACCEPT`)))
	screenshot(t, ctx, "wedge-accept")

	run(t, ctx, "scanner, Russian layout", chromedp.Evaluate[string](typeKeys(other, "ru", 0), chromedp.EvalAwaitPromise))
	waitFor(t, "second wedge scan", func() bool { return sources() == 2 })
	if got := wedgeScans(); !slices.Contains(got, scan{other, "ACCEPT"}) {
		t.Fatalf("wedge scans %+v: the Russian-layout burst is not the mark %q, ACCEPT", got, other)
	}

	// Into the batch form's field: the scan is taken, Enter does not open
	// a batch, and the field keeps what it had.
	run(t, ctx, "scanner into a form field", chromedp.Evaluate[string](
		`document.getElementById('batch-contract').value = '55'; document.getElementById('batch-contract').focus(); ''`))
	if got := run(t, ctx, "burst into the field", chromedp.Evaluate[string](typeKeys(good, "us", 0), chromedp.EvalAwaitPromise)); got != "batch-contract" {
		t.Fatalf("typed into %q, want the batch field", got)
	}
	waitFor(t, "third wedge scan (a re-scan)", func() bool { return sources() == 3 })
	if v := run(t, ctx, "field value", chromedp.Value(chromedp.ID("batch-contract"))); v != "55" {
		t.Errorf("batch field %q after the burst, want 55", v)
	}
	if hidden := run(t, ctx, "batch box", chromedp.Evaluate[bool](`document.getElementById('batch-box').hidden`)); !hidden {
		t.Error("the scanner's Enter opened a batch")
	}

	// A person: the same kind of text at 120 ms a key is not a scan.
	run(t, ctx, "person typing", chromedp.Evaluate[string](
		`document.activeElement.blur(); `+typeKeys("EPM1:ABCDEFGH", "us", 120), chromedp.EvalAwaitPromise))
	// A scanner burst after it: only that one arrives.
	run(t, ctx, "scanner after the person", chromedp.Evaluate[string](typeKeys(other, "us", 0), chromedp.EvalAwaitPromise))
	waitFor(t, "fourth wedge scan", func() bool { return sources() == 4 })
	for _, s := range wedgeScans() {
		if strings.Contains(s.Text, "ABCDEFGH") {
			t.Fatalf("slow typing was posted as a scan: %+v", s)
		}
	}
	if msg := run(t, ctx, "wedge status", chromedp.Evaluate[string](
		`(document.getElementById('wedge-msg') || {textContent: ''}).textContent`)); msg != "" {
		t.Errorf("wedge status %q, want none", msg)
	}

	// A burst far longer than any mark (issue 9 §5): sent cut to 4096
	// keys with its length, recorded NOT_A_MARK (it was dropped).
	long := strings.Repeat("4600000000001", 400)[:5000]
	run(t, ctx, "scanner, 5000 keys", chromedp.Evaluate[string](typeKeys(long, "us", 0), chromedp.EvalAwaitPromise))
	type wedgeRow struct{ Text, Verdict, Source, Message string }
	var rows []wedgeRow // the browser-wedge scans, as the API lists them
	longScan := func() int {
		js := run(t, ctx, "the long scan", chromedp.Evaluate[string](
			`fetch('/api/scans', {headers: {Accept: 'application/json'}}).then(r => r.text())`, chromedp.EvalAwaitPromise))
		var body struct {
			Scans []wedgeRow `json:"scans"`
		}
		if err := json.Unmarshal([]byte(js), &body); err != nil {
			t.Fatalf("/api/scans: %v: %.300s", err, js)
		}
		rows = rows[:0]
		for _, s := range body.Scans {
			if s.Source == "browser-wedge" {
				rows = append(rows, s)
			}
		}
		return slices.IndexFunc(rows, func(s wedgeRow) bool { return s.Verdict == "NOT_A_MARK" })
	}
	// what the page posted, for a failure: verdict, length and start of each
	dump := func() string {
		var b strings.Builder
		for _, s := range rows {
			fmt.Fprintf(&b, "\n  %s %d bytes %.24q %q", s.Verdict, len(s.Text), s.Text, s.Message)
		}
		return b.String()
	}
	waitFor(t, "the long burst's scan", func() bool { return longScan() >= 0 })
	if i := longScan(); rows[i].Text != long[:4096] || !strings.Contains(rows[i].Message, "line of 5000 bytes") {
		t.Fatalf("long burst not recorded cut with its length; the wedge scans:%s", dump())
	}
	if len(rows) != 5 {
		t.Fatalf("%d wedge scans, want 5 (the long burst split, or a person's keys posted?):%s", len(rows), dump())
	}

	// A mark with 5 000 spaces after it, then one with 5 000 before it:
	// white space around a code is ignored however long (MARK-FORMAT §1),
	// so each is the mark (a re-scan: DUPLICATE_SCAN), not a line over the
	// limit; the spaces past 4 096 keys are counted, not kept or sent.
	pad := strings.Repeat(" ", 5000)
	for i, burst := range []string{good + pad, pad + other} {
		run(t, ctx, "scanner, a mark in spaces", chromedp.Evaluate[string](typeKeys(burst, "us", 0), chromedp.EvalAwaitPromise))
		waitFor(t, "the padded burst's scan", func() bool { longScan(); return len(rows) == 6+i })
	}
	padded, others, notMarks := 0, 0, 0
	for _, s := range rows {
		switch {
		case s.Verdict == "NOT_A_MARK":
			notMarks++
		case s.Text != good && strings.TrimSpace(s.Text) == good && len(s.Text) <= 4096 && s.Verdict == "DUPLICATE_SCAN":
			padded++
		case s.Text == other:
			others++
		}
	}
	// other: its two scans before, and the one after 5 000 spaces, kept
	// from its first key
	if padded != 1 || others != 3 || notMarks != 1 {
		t.Fatalf("a mark in 5 000 spaces not judged as the mark (%d padded, %d of the other mark, %d NOT_A_MARK); the wedge scans:%s",
			padded, others, notMarks, dump())
	}
}

// waitFor polls cond (a guard of 30 s against hanging, not a speed check).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
