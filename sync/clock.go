package sync

import (
	"fmt"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/mark"
)

// Clock is the counter's clock as measured against the collector's: every
// answer of the collector carries its time (the Date header, 1 s
// resolution), and the skew is the counter's time at the middle of the
// request minus the collector's, give or take half a second plus half the
// round trip. Above Limit the counter's verdicts that depend on the date
// (validity of the mark and of its key) are not trusted: GuardClock turns
// them into ERROR. The clock is also wrong, collector or not, while it
// reads before Earliest (a PC whose flat CMOS battery started it in 2001)
// or, with a limit, more than the limit before the latest time it read
// or saw (Saw) since the last measurement within the limit (an NTP
// correction back by an hour), or after the latest plausible time
// (SetLatest: the daemon's is five years past the newest date of its
// lists; a BIOS date of 2099) unless the collector measured it within
// the limit: the verdicts it would date are not made, until it reads
// right again or the collector measures it right. A nil *Clock is never
// wrong.
type Clock struct {
	mu       gosync.Mutex
	skew     time.Duration // counter − collector
	measured time.Time     // counter time of the last measurement; zero = never
	limit    time.Duration // 0 = no check
	gauge    prometheus.Gauge
	log      *slog.Logger // nil = no log
	high     time.Time    // latest reading since the last measurement within the limit
	odd      string       // why the last reading was implausible; "" = it was not
	oddKind  string       // its ClockWrongReasons entry; "" = none
	latest   time.Time    // SetLatest: a reading after it is implausible; zero = no bound
	why      string       // what latest is, for the message
	// Now is the counter's clock: the one that stamps and judges the scans.
	Now func() time.Time
}

// ClockMessage is the operator message of a verdict the wrong clock made an ERROR.
const ClockMessage = "Часы кассы неверны: вызовите инженера — не принимайте отправление / Clock wrong: call the engineer, do not accept this item"

// Earliest is the earliest plausible reading of a counter's clock (the
// collector refuses records stamped before it too, hub.DefaultPlausibility).
var Earliest = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// NewClock makes a clock check with the limit (0 = measure only) over
// now (nil = time.Now), logging when the clock turns wrong or right on log
// (may be nil), and registers markd_sync_clock_skew_seconds on reg (may be
// nil).
func NewClock(limit time.Duration, now func() time.Time, log *slog.Logger, reg *prometheus.Registry) *Clock {
	if now == nil {
		now = time.Now
	}
	if log != nil {
		log = log.With("subsystem", "sync.clock")
	}
	c := &Clock{limit: limit, Now: now, log: log, gauge: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "markd_sync_clock_skew_seconds",
		Help: "The counter's clock minus the collector's, measured on the last answer (±1 s); 0 before the first.",
	})}
	if reg != nil {
		limitGauge := prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "markd_sync_clock_limit_seconds",
			Help: "sync.clock_limit: beyond this skew date-dependent verdicts are ERROR; 0 = measured only.",
		})
		limitGauge.Set(limit.Seconds())
		reg.MustRegister(c.gauge, limitGauge, clockWrongMetric{c})
	}
	return c
}

// observe measures the skew from one answer: sent and received are the
// counter's clock around the request, date the answer's Date header.
func (c *Clock) observe(sent, received time.Time, date string) {
	if c == nil || date == "" {
		return
	}
	hub, err := http.ParseTime(date)
	if err != nil {
		return
	}
	// The Date header is truncated to the second: its true value is on
	// average half a second later.
	mid := sent.Add(received.Sub(sent) / 2)
	skew := mid.Sub(hub.Add(500 * time.Millisecond)).Round(time.Millisecond)
	wasWrong := c.Wrong()
	c.mu.Lock()
	c.skew, c.measured = skew, received
	if skew <= c.limit && skew >= -c.limit {
		c.high = received // measured right: a step back is judged from here
	}
	c.mu.Unlock()
	c.gauge.Set(skew.Seconds())
	if wrong := c.Wrong(); wrong != wasWrong && c.log != nil {
		if wrong {
			c.log.Error("clock wrong: the counter's clock differs from the collector's beyond the limit; "+
				"date-dependent verdicts are ERROR until it is set right — call the engineer", "skew", skew, "limit", c.limit)
		} else {
			c.log.Info("clock right again", "skew", skew, "limit", c.limit)
		}
	}
}

// Skew is the last measured skew (counter − collector) and whether there
// was one.
func (c *Clock) Skew() (time.Duration, bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skew, !c.measured.IsZero()
}

// Wrong reports whether the last measured skew is beyond the limit, or
// the clock reads implausibly now (Implausible).
func (c *Clock) Wrong() bool {
	skew, ok := c.Skew()
	return ok && c.limit > 0 && (skew > c.limit || skew < -c.limit) || c.Implausible() != ""
}

// Saw tells the clock it once read t (the newest record stored): a
// reading more than the limit before t is wrong until the
// collector measures the clock right.
func (c *Clock) Saw(t time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.high) {
		c.high = t
	}
}

// SetLatest makes a reading after t implausible while the collector has
// not measured the clock within the limit; why says what t is ("more
// than 5 years after 2027-12-31, the newest date of its lists"). Zero t:
// no upper bound.
func (c *Clock) SetLatest(t time.Time, why string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latest, c.why = t, why
}

// Implausible reads the clock and says why the reading cannot be right
// without asking the collector ("" when it can): before Earliest, after
// the latest plausible time (SetLatest) unless the collector's last
// measurement put it within the limit, or (with a limit) gone back more
// than the limit from the latest reading. The first implausible reading
// and the first right one after it are logged.
func (c *Clock) Implausible() string {
	if c == nil {
		return ""
	}
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	odd, kind := "", ""
	switch {
	case now.Before(Earliest):
		odd = fmt.Sprintf("reads %s, before %s", now.UTC().Format("2006-01-02 15:04 UTC"), Earliest.Format(time.DateOnly))
		kind = WrongBefore2020
	case !c.latest.IsZero() && now.After(c.latest) && !c.measuredRight():
		odd = fmt.Sprintf("reads %s, %s", now.UTC().Format("2006-01-02 15:04 UTC"), c.why)
		kind = WrongFarAhead
	case c.limit > 0 && !c.high.IsZero() && now.Before(c.high.Add(-c.limit)):
		odd = fmt.Sprintf("went back to %s from %s", now.UTC().Format("2006-01-02 15:04:05 UTC"), c.high.UTC().Format("2006-01-02 15:04:05 UTC"))
		kind = WrongWentBack
	case now.After(c.high):
		c.high = now
	}
	if (odd == "") != (c.odd == "") && c.log != nil {
		if odd != "" {
			c.log.Error("clock wrong: the counter's clock "+odd+"; date-dependent verdicts are ERROR until it is set right "+
				"(or the collector measures it right) — call the engineer", "now", now)
		} else {
			c.log.Info("clock right again", "now", now)
		}
	}
	c.odd, c.oddKind = odd, kind
	return odd
}

// measuredRight: the collector's last measurement put the clock within
// the limit (never with limit 0, measure only). The caller holds mu.
func (c *Clock) measuredRight() bool {
	return c.limit > 0 && !c.measured.IsZero() && c.skew <= c.limit && c.skew >= -c.limit
}

// ClockStatus is the JSON form for /healthz and the operator screen.
type ClockStatus struct {
	Measured     bool      `json:"measured"`
	SkewSeconds  float64   `json:"skew_seconds"` // counter − collector
	LimitSeconds float64   `json:"limit_seconds"`
	Wrong        bool      `json:"wrong"`
	At           time.Time `json:"at,omitzero"` // when measured (counter clock)
	// Problem says why the clock reads implausibly without the collector
	// (before 2020, years past the lists' newest date, gone back), as on
	// the operator light.
	Problem string `json:"problem,omitempty"`
}

// Status returns the state for display.
func (c *Clock) Status() ClockStatus {
	if c == nil {
		return ClockStatus{}
	}
	c.mu.Lock()
	st := ClockStatus{Measured: !c.measured.IsZero(), SkewSeconds: c.skew.Seconds(), LimitSeconds: c.limit.Seconds(), At: c.measured}
	c.mu.Unlock()
	st.Problem = c.Implausible()
	st.Wrong = c.Wrong()
	return st
}

// Health is the clock as a light of the operator screen: up while the
// skew is within the limit, with the skew in plain words.
func (c *Clock) Health() mark.SourceHealth {
	h := mark.SourceHealth{Name: "clock", Kind: "clock", Up: true, Detail: "not measured yet"}
	if odd := c.Implausible(); odd != "" {
		h.Up, h.Name = false, "clock wrong: call the engineer"
		h.Detail = "the counter's clock " + odd + ": date checks refused — set the clock, call the engineer"
		return h
	}
	skew, ok := c.Skew()
	if !ok {
		return h
	}
	h.Detail = fmt.Sprintf("%s against the collector", fmtSkew(skew))
	if c.Wrong() {
		h.Up = false
		h.Name = "clock " + fmtSkew(skew) + ": call the engineer"
		h.Detail = fmt.Sprintf("the counter's clock is %s against the collector (limit ±%s): date checks refused — call the engineer",
			fmtSkew(skew), c.limit)
	}
	return h
}

func fmtSkew(d time.Duration) string {
	if d >= 0 {
		return "+" + d.Round(time.Second).String()
	}
	return d.Round(time.Second).String()
}

// dateReasons are the reasons a verifier gives by comparing the date.
var dateReasons = map[mark.Reason]bool{mark.ReasonNotYetValid: true, mark.ReasonExpired: true, mark.ReasonKeyNotValid: true}

// GuardClock wraps a verifier so that, while the clock is wrong, a verdict
// that depends on the date becomes ERROR with ClockMessage: an acceptance
// (the date might be outside the mark's validity) and a rejection for
// NOT_YET_VALID, EXPIRED or KEY_NOT_VALID. Other rejections (signature,
// office, weight) stand. ERROR does not use the serial, so the same mark
// is judged again once the clock is right.
func GuardClock(v mark.Verifier, c *Clock) mark.Verifier { return clockGuard{v, c} }

type clockGuard struct {
	mark.Verifier
	c *Clock
}

func (g clockGuard) Verify(text string, ctx mark.Context) mark.Result {
	r := g.Verifier.Verify(text, ctx)
	if !g.c.Wrong() {
		return r
	}
	dated := r.Verdict == mark.Accept
	for _, reason := range r.Reasons {
		dated = dated || dateReasons[reason]
	}
	if dated {
		r.Verdict, r.Message = mark.Error, ClockMessage
	}
	return r
}
