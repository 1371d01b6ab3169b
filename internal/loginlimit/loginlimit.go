// Package loginlimit counts failed logins per key (an address and name,
// an address, an account, a device cookie) in a sliding window of one
// minute, for both servers' login pages (web and hub/hubweb): at a key's
// limit further attempts are refused until its oldest failure leaves the
// window.
package loginlimit

import (
	"sync"
	"time"
)

// Window is how long a failure counts, and how long a refusal of a key is
// told once (TellOnce).
const Window = time.Minute

// maxKeys bounds the keys kept: past it a new failure first drops the
// failures a window old of every key (a spray of names).
const maxKeys = 10000

// Fails holds the failures of every key; safe for concurrent use.
type Fails struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string][]time.Time
	told  map[string]time.Time // when a refusal of key was last told (TellOnce)
}

// New makes an empty Fails reading the time from now.
func New(now func() time.Time) *Fails {
	return &Fails{now: now, fails: map[string][]time.Time{}, told: map[string]time.Time{}}
}

// recent is the failures of key in the window before now; f.mu is held.
func (f *Fails) recent(key string, now time.Time) []time.Time {
	ts := f.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= Window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(f.fails, key)
	} else {
		f.fails[key] = ts
	}
	return ts
}

// allow is Allow at now; f.mu is held.
func (f *Fails) allow(key string, limit int, now time.Time) (bool, time.Duration) {
	ts := f.recent(key, now)
	if len(ts) < limit {
		return true, 0
	}
	return false, ts[0].Add(Window).Sub(now)
}

// Allow reports whether key, allowed limit failures a window, may try to
// log in now, and if not, how long until it may. It counts nothing: Take
// does.
func (f *Fails) Allow(key string, limit int) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allow(key, limit, f.now())
}

// Take is Allow and a failure at once: when key may try, the attempt
// counts as failed from now (at), under one lock, so attempts sent
// together cannot all pass the check before the first of them has failed
// (a password check takes ~100 ms: forty guesses sent at once were all
// checked against a limit of 5). An attempt that did not fail is given
// back with Release, or Reset.
func (f *Fails) Take(key string, limit int) (ok bool, wait time.Duration, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if ok, wait := f.allow(key, limit, now); !ok {
		return false, wait, time.Time{}
	}
	f.fails[key] = append(f.fails[key], now)
	if len(f.fails) > maxKeys {
		for k := range f.fails {
			f.recent(k, now)
		}
	}
	return true, 0, now
}

// Release gives back the attempt of key taken at at (Take).
func (f *Fails) Release(key string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ts := f.fails[key]
	for i := range ts {
		if ts[i].Equal(at) {
			ts = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(f.fails, key)
	} else {
		f.fails[key] = ts
	}
}

// Reset forgets every failure of key.
func (f *Fails) Reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fails, key)
}

// TellOnce reports whether a refusal of key is its first in a window, so
// an attack of thousands of refused guesses is logged or audited once a
// minute, not thousands of times.
func (f *Fails) TellOnce(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if t, ok := f.told[key]; ok && now.Sub(t) < Window {
		return false
	}
	if len(f.told) > maxKeys {
		for k, t := range f.told {
			if now.Sub(t) >= Window {
				delete(f.told, k)
			}
		}
	}
	f.told[key] = now
	return true
}
