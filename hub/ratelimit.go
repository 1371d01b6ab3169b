package hub

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultUploadRate and DefaultUploadBurst are the per-terminal limit of
// uploads over time (upload_rate, upload_burst; ServerOptions.UploadRate):
// a token bucket of DefaultUploadBurst uploads refilled at
// DefaultUploadRate a second. Measured (docs/operations.md, "Limits"):
// `markd sync` catching up sends its batches of 2000 records back to
// back, two in flight, about 5.5 requests a second on a 2-core collector
// (20 000 records in 2.0 s); with sync.batch_size 100 about 50 a second.
// A catch-up of the default batch size is under a third of the rate and
// its first 200 requests (400 000 records, weeks of a busy counter) go on
// the burst alone; a counter over it is answered 429 with Retry-After and
// waits it out.
const (
	DefaultUploadRate  = 20.0
	DefaultUploadBurst = 200
)

// uploadLimit is the token buckets of the terminals' uploads, one per
// terminal name (authenticated names only, so the map is bounded by the
// registered terminals). Each instance keeps its own: N instances behind
// a balancer take N times the rate.
type uploadLimit struct {
	rate  float64 // tokens a second; 0: no limit
	burst float64
	now   func() time.Time // a real clock: the limit is about elapsed time, not the collector's business clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens  float64
	at      time.Time
	logged  time.Time // when a refusal of this terminal was last logged
	refused int       // refusals since
}

// take spends one upload of terminal's bucket; when it is empty it
// returns how long until the next upload is taken, and how many refusals
// to log now: the first, then those of a minute at most once a minute
// (0: none to log).
func (l *uploadLimit) take(terminal string) (ok bool, wait time.Duration, log int) {
	if l.rate <= 0 {
		return true, 0, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[terminal]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[terminal] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+d.Seconds()*l.rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, 0
	}
	if b.refused++; now.Sub(b.logged) >= time.Minute {
		log, b.refused, b.logged = b.refused, 0, now
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), log
}

// tooFast answers an upload over the terminal's rate: 429 with
// Retry-After (whole seconds, at least 1), which a counter waits out as
// it does a 503.
func (s *Server) tooFast(w http.ResponseWriter, terminal string, wait time.Duration, log int) int {
	s.limited.WithLabelValues("rate").Inc()
	if log > 0 {
		s.log.Warn("uploads of a terminal over its rate: answered 429", "terminal", terminal, "refused", log,
			"upload_rate", s.uploads.rate, "upload_burst", int(s.uploads.burst),
			"hint", "a counter in a loop or a token used elsewhere; markd catching up waits Retry-After and goes on")
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return s.writeJSON(w, http.StatusTooManyRequests, ErrorResponse{Code: "too_many",
		Error: fmt.Sprintf("terminal %s sent more than %s uploads a second (a burst of %d) to this collector", terminal,
			strconv.FormatFloat(s.uploads.rate, 'f', -1, 64), int(s.uploads.burst)),
		Hint: "wait Retry-After seconds (markd does); the collector's upload_rate and upload_burst set the limit"})
}
