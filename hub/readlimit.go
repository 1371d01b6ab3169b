package hub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// DefaultReadRate and DefaultReadBurst are the per-terminal limit of the
// terminals' reads, GET /v1/bundle, /v1/serials and /v1/questioned
// together (read_rate, read_burst; ServerOptions.ReadRate): a token
// bucket of DefaultReadBurst reads refilled at DefaultReadRate a second.
// What `markd sync` sends (docs/operations.md, "Limits"): one bundle
// poll a sync.interval (1 minute), one page of questions after an upload
// at most once an interval, back to back only while it catches up (500
// a page), and the pages of used serials back to back only while a new
// store restores its office's history (10 000 a page). So a counter at
// rest reads about twice a minute; its longest run is the restore, and
// 600 pages (6 million serials) go on the burst alone, then 5 pages a
// second (50 000 serials). One budget for the three: they are the same
// kind of cost (one indexed read a page) and no counter runs more than
// one of them at a time in a loop. Apart from the uploads' budget: a
// terminal reading in a loop (a stolen token, a counter stuck paging)
// does not hold its uploads back, nor a catch-up of uploads its reads.
const (
	DefaultReadRate  = 5.0
	DefaultReadBurst = 600
)

// limitReads wraps a read route of the terminals with the read budget.
func (s *Server) limitReads(next func(http.ResponseWriter, *http.Request) int) func(http.ResponseWriter, *http.Request) int {
	return func(w http.ResponseWriter, r *http.Request) int {
		name := TerminalFrom(r.Context())
		if ok, wait, log := s.reads.Take(name); !ok {
			return s.readsTooFast(w, r, name, wait, log)
		}
		return next(w, r)
	}
}

// readsTooFast answers a read over the terminal's rate: 429 with
// Retry-After (whole seconds, at least 1), which markd waits out.
func (s *Server) readsTooFast(w http.ResponseWriter, r *http.Request, terminal string, wait time.Duration, log int) int {
	s.limited.WithLabelValues("read_rate").Inc()
	if log > 0 {
		s.log.Warn("reads of a terminal over its rate: answered 429", "terminal", terminal, "path", r.URL.Path, "refused", log,
			"read_rate", s.reads.Rate(), "read_burst", s.reads.Burst(),
			"hint", "a counter in a loop or a token used elsewhere; markd waits Retry-After and goes on")
	}
	return s.retryLater(w, wait,
		fmt.Sprintf("terminal %s sent more than %s reads a second (%s; a burst of %d) to this collector", terminal,
			strconv.FormatFloat(s.reads.Rate(), 'f', -1, 64), "/v1/bundle, /v1/serials and /v1/questioned together", s.reads.Burst()),
		"wait Retry-After seconds (markd does); the collector's read_rate and read_burst set the limit")
}
