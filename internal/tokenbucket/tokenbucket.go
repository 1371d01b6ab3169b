// Package tokenbucket keeps one token bucket per key (a terminal, a
// token, a user): Burst at once, refilled at Rate a second, with the
// refusals to log counted so a caller logs the first and then at most a
// line a minute. markhub's upload and read limits and the counter's
// budget of batch writes use it.
package tokenbucket

import (
	"math"
	"sync"
	"time"
)

// Set is the buckets of one limit. The zero Set and a nil *Set take
// everything.
type Set struct {
	rate    float64 // tokens a second; 0: no limit
	burst   float64
	now     func() time.Time // a real clock: the limit is about elapsed time, not a business clock
	maxIdle int              // past this many keys, full buckets are dropped (0: never)

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens  float64
	at      time.Time
	logged  time.Time // when a refusal of this key was last logged
	refused int       // refusals since
}

// New is a Set of burst tokens refilled at rate a second (rate 0: no
// limit; a burst under 1 is 1). now nil is time.Now. Past maxIdle keys
// (0: no bound, for keys bounded elsewhere such as registered
// terminals) the buckets of keys idle long enough to be full again are
// dropped.
func New(rate float64, burst int, now func() time.Time, maxIdle int) *Set {
	if now == nil {
		now = time.Now
	}
	return &Set{rate: rate, burst: float64(max(burst, 1)), now: now, maxIdle: maxIdle, buckets: map[string]*bucket{}}
}

// Rate is the tokens a second, Burst the bucket's size.
func (s *Set) Rate() float64 { return s.rate }

// Burst is the bucket's size.
func (s *Set) Burst() int { return int(s.burst) }

// Take spends one token of key's bucket; when it is empty it returns how
// long until the next token, and how many refusals to log now: the
// first, then those of a minute at most once a minute (0: none to log).
func (s *Set) Take(key string) (ok bool, wait time.Duration, log int) {
	if s == nil || s.rate <= 0 {
		return true, 0, 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil {
		if s.maxIdle > 0 && len(s.buckets) >= s.maxIdle {
			s.dropFull(now)
		}
		b = &bucket{tokens: s.burst, at: now}
		s.buckets[key] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(s.burst, b.tokens+d.Seconds()*s.rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, 0
	}
	if b.refused++; now.Sub(b.logged) >= time.Minute {
		log, b.refused, b.logged = b.refused, 0, now
	}
	return false, time.Duration((1 - b.tokens) / s.rate * float64(time.Second)), log
}

// dropFull forgets the keys whose buckets are full again.
func (s *Set) dropFull(now time.Time) {
	for k, b := range s.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*s.rate >= s.burst {
			delete(s.buckets, k)
		}
	}
}

// Keys is how many keys have a bucket.
func (s *Set) Keys() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}
