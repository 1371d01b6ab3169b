package sync

import (
	gosync "sync"
	"time"
)

// Freshness says how old the keyring, tariff and revocation lists in force
// are: the time since the collector last confirmed them current (a poll
// that found nothing newer, or a new bundle applied). A nil *Freshness (no
// collector configured) is never stale.
//
// How the daemon uses it: the operator screen shows Status() and turns
// amber when Warn is set; the pipeline consults Stale() before it shows an
// ACCEPT and, when hard is true, refuses to accept (verdict ERROR with
// HardMessage) until the counter syncs again. Guard does that for any
// mark.Verifier.
type Freshness struct {
	mu      gosync.Mutex
	checked time.Time
	warn    time.Duration
	hard    time.Duration // 0 = off
	now     func() time.Time
}

// HardMessage is what the operator reads when the hard limit refuses an acceptance.
const HardMessage = "Списки устарели: нет связи с центром — не принимайте отправление / Lists too old: no contact with the collector, do not accept this item"

// NewFreshness starts with the lists last confirmed at checked; now is the
// clock (nil = time.Now).
func NewFreshness(checked time.Time, warn, hard time.Duration, now func() time.Time) *Freshness {
	if now == nil {
		now = time.Now
	}
	return &Freshness{checked: checked, warn: warn, hard: hard, now: now}
}

// Checked records that the collector confirmed the lists current at t.
func (f *Freshness) Checked(t time.Time) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.checked) {
		f.checked = t
	}
}

// Age is the time since the lists were last confirmed current.
func (f *Freshness) Age() time.Duration {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(0, f.now().Sub(f.checked))
}

// Stale reports whether the age passed the warn limit (operator screen
// amber) and the hard limit (refuse to accept; never when hard is 0).
func (f *Freshness) Stale() (warn, hard bool) {
	if f == nil {
		return false, false
	}
	age := f.Age()
	return f.warn > 0 && age > f.warn, f.hard > 0 && age > f.hard
}

// FreshnessStatus is the JSON form for the status endpoint and the operator page.
type FreshnessStatus struct {
	Checked    time.Time `json:"checked"`
	AgeSeconds float64   `json:"age_seconds"`
	Warn       bool      `json:"warn"`
	Hard       bool      `json:"hard"`
}

// Status returns the state for display.
func (f *Freshness) Status() FreshnessStatus {
	if f == nil {
		return FreshnessStatus{}
	}
	f.mu.Lock()
	checked := f.checked
	f.mu.Unlock()
	w, h := f.Stale()
	return FreshnessStatus{Checked: checked, AgeSeconds: f.Age().Seconds(), Warn: w, Hard: h}
}
