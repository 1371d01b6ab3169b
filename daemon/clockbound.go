package daemon

import (
	"fmt"
	"time"
)

// clockHorizonYears is how far past the newest date of the lists in force
// the counter's clock may read before it is taken as wrong without a
// collector to ask (a BIOS date of 2099). No key of the lists signs a
// mark after its valid_until, and five years is longer than a mark is
// meant to stay valid; a counter whose lists really are five years
// behind the calendar judges nothing right either, and needs the
// engineer as much as a wrong clock does. The binary's build time was the
// other anchor at hand: it would refuse every mark of a counter left on
// one version for years, whatever its lists (docs/operations.md, Clock).
const clockHorizonYears = 5

// boundClock sets the clock's latest plausible time from the lists in
// force: clockHorizonYears past their newest date. Run at Open and after
// every swap of the lists (files, a reload, a bundle: Holder.OnSwap), it
// reads the holder under boundMu, so of two swaps racing the later
// lists win.
func (m *Main) boundClock() {
	m.boundMu.Lock()
	defer m.boundMu.Unlock()
	v := m.Holder.Current()
	if v == nil {
		m.Clock.SetLatest(time.Time{}, "")
		return
	}
	newest := v.Newest()
	m.Clock.SetLatest(newest.Time().AddDate(clockHorizonYears, 0, 1),
		fmt.Sprintf("more than %d years after %s, the newest date of its lists", clockHorizonYears, newest))
}
