package hub

import (
	"fmt"
	"net/http"
	"sync"
)

// DefaultInFlight bounds the uploads of one terminal an instance works
// on at once (ServerOptions.InFlight). A counter sends one at a time,
// two while its pump overlaps; before the red-team pass a terminal with
// valid credentials could send any number at once, each up to 8 MiB and
// 10 000 signature checks, and have every core of the collector.
const DefaultInFlight = 4

// inFlight counts the uploads in progress per terminal.
type inFlight struct {
	mu  sync.Mutex
	n   map[string]int
	max int
}

// enter takes a place for terminal's upload, false when it has max.
func (f *inFlight) enter(terminal string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[terminal] >= f.max {
		return false
	}
	f.n[terminal]++
	return true
}

func (f *inFlight) leave(terminal string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[terminal]--; f.n[terminal] <= 0 {
		delete(f.n, terminal)
	}
}

// tooMany answers an upload past the terminal's places: 429 with
// Retry-After, which a counter waits out as it does a 503.
func (s *Server) tooMany(w http.ResponseWriter, terminal string) int {
	s.limited.WithLabelValues("in_flight").Inc()
	return s.retryLater(w, 0, // Retry-After: 1
		fmt.Sprintf("terminal %s has %d uploads in progress at this collector, the most it takes at once", terminal, s.inflight.max),
		"send the next when an answer has come (markd does)")
}
