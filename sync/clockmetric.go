package sync

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The reasons of markd_sync_clock_wrong: why the counter's clock is
// taken as wrong, so its date-dependent verdicts are ERROR "clock wrong".
const (
	WrongSkew       = "skew"        // the collector measured it beyond sync.clock_limit
	WrongBefore2020 = "before_2020" // it reads before Earliest
	WrongWentBack   = "went_back"   // more than the limit before the latest time it read or saw
	WrongFarAhead   = "far_ahead"   // past the latest plausible time (SetLatest: 5 years past the lists)
)

// ClockWrongReasons is the fixed label set of markd_sync_clock_wrong:
// each is exported at every scrape, 1 or 0.
var ClockWrongReasons = []string{WrongSkew, WrongBefore2020, WrongWentBack, WrongFarAhead}

var clockWrongDesc = prometheus.NewDesc("markd_sync_clock_wrong",
	"1 while the counter's clock is taken as wrong for the reason, and acceptances and date rejections are ERROR \"clock wrong\": "+
		"skew (the collector measured it beyond sync.clock_limit), before_2020, went_back (more than sync.clock_limit "+
		"before the latest time read or stored), far_ahead (more than 5 years past the newest date of the lists in force); 0 otherwise.",
	[]string{"reason"}, nil)

// clockWrongMetric reads the clock at each scrape (Implausible, as
// /healthz does), so a clock that went wrong shows on /metrics before any
// scan is judged by it; nothing on the scan path sets it.
type clockWrongMetric struct{ c *Clock }

func (m clockWrongMetric) Describe(ch chan<- *prometheus.Desc) { ch <- clockWrongDesc }

func (m clockWrongMetric) Collect(ch chan<- prometheus.Metric) {
	// Implausible reads the clock now and records why (oddKind) under mu.
	m.c.Implausible()
	m.c.mu.Lock()
	odd := m.c.oddKind
	skewed := !m.c.measured.IsZero() && m.c.limit > 0 && (m.c.skew > m.c.limit || m.c.skew < -m.c.limit)
	m.c.mu.Unlock()
	for _, r := range ClockWrongReasons {
		v := 0.0
		if r == odd || r == WrongSkew && skewed {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(clockWrongDesc, prometheus.GaugeValue, v, r)
	}
}
