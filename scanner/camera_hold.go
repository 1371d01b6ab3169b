package scanner

import "time"

// holdFilter lets a code through once, then holds it back while it stays
// in view: it passes again only after Hold without any sighting, or once
// the view was clear (no frame showed anything code-like for
// clearFrames frames in a row) since its last sighting. The decoder misses
// a code held in view on some frames (motion, glare), which the hold
// bridges; an envelope taken away leaves frames without finder patterns,
// so the next envelope bearing the same mark (a copy, the fraud case) is a
// scan of its own and judged (DUPLICATE_SCAN or REUSED), not swallowed.
type holdFilter struct {
	hold        time.Duration
	clearFrames int
	seen        map[string]time.Time
	clear       int // frames in a row with nothing code-like
}

// clearView is how long the view must show nothing code-like before a
// code seen again counts as presented again: a hand or a shadow passing
// over a code held in view is shorter.
const clearView = 300 * time.Millisecond

// minClearFrames bounds clearView from below in frames: at low rates one
// frame without finder patterns (a glint) is not a cleared view.
const minClearFrames = 3

func newHoldFilter(hold time.Duration, fps int) *holdFilter {
	n := int((clearView*time.Duration(fps) + time.Second - 1) / time.Second)
	return &holdFilter{hold: hold, clearFrames: max(minClearFrames, n), seen: map[string]time.Time{}}
}

// frame records whether a decoded frame showed anything code-like; after
// clearFrames frames without, the codes held back are forgotten.
func (h *holdFilter) frame(codeLike bool) {
	if codeLike {
		h.clear = 0
		return
	}
	h.clear++
	if h.clear >= h.clearFrames {
		clear(h.seen)
	}
}

// pass records a sighting of text at now and reports whether to emit it.
func (h *holdFilter) pass(text string, now time.Time) bool {
	last, ok := h.seen[text]
	h.seen[text] = now
	return !ok || now.Sub(last) >= h.hold
}

// prune forgets codes not seen for Hold, bounding the map.
func (h *holdFilter) prune(now time.Time) {
	for t, last := range h.seen {
		if now.Sub(last) >= h.hold {
			delete(h.seen, t)
		}
	}
}
