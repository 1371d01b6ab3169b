package web

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"markd/internal/httperr"
	"markd/mark"
)

// MaxStreams bounds the live streams (/operator/live and /events
// together) one user's logins, or one API token, hold open at once. The
// operator screen opens one a tab; a client looping EventSource opens
// without closing them had no bound, and each stream is a goroutine, a
// subscription the pipeline hands every verdict to, and a store read a
// second (the account or token check).
const MaxStreams = 16

// streamRetryAfter is the Retry-After of a stream refused over MaxStreams,
// in seconds: a browser's EventSource retries on its own after it.
const streamRetryAfter = 5

// streamCap counts the open live streams of each holder ("user NAME",
// "token NAME").
type streamCap struct {
	mu sync.Mutex
	n  map[string]int
}

// open takes a place for a stream of holder, or answers 429 itself and
// returns false. release gives the place back (call it when the stream
// ends).
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, holder string) (release func(), ok bool) {
	c := &s.streams
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[holder] >= MaxStreams {
		c.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(streamRetryAfter))
		s.log.Warn("live stream refused", "holder", holder, "open", MaxStreams)
		s.fail(w, r, mark.WithHint(fmt.Errorf("%s has %d live streams open already, the most one may: %w", holder, MaxStreams, httperr.ErrTooMany),
			"close the operator screen's other tabs or windows; a program reads one /events stream"))
		return nil, false
	}
	c.n[holder]++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.n[holder]--; c.n[holder] <= 0 {
				delete(c.n, holder)
			}
		})
	}, true
}
