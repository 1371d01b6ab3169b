package hub

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Timeouts bound the store calls of the API, so a stuck database (frozen,
// unreachable, out of connections) gives a quick 503 with Retry-After
// instead of holding requests until the client gives up.
type Timeouts struct {
	Check      time.Duration // the terminal lookup of every request and the health query
	Write      time.Duration // one upload transaction, one bundle read
	RetryAfter time.Duration // what a 503 tells the client to wait
}

// DefaultTimeouts are the timeouts of a fresh Server.
func DefaultTimeouts() Timeouts {
	return Timeouts{Check: time.Second, Write: 10 * time.Second, RetryAfter: 5 * time.Second}
}

// StoreCheck is what the health query of a backend reports.
type StoreCheck struct {
	BundleVersion uint64    // newest published bundle, 0 = none
	BundleCreated time.Time // when it was published
}

// Health is the body of GET /healthz.
type Health struct {
	OK     bool        `json:"ok"`
	Store  StoreHealth `json:"store"`
	Bundle *BundleInfo `json:"bundle"` // nil: none published (or the store did not answer)
	// LastWrite is when this process last committed an upload (null: none since start).
	LastWrite           *time.Time `json:"last_write"`
	LastWriteAgeSeconds *float64   `json:"last_write_age_seconds,omitempty"`
}

// StoreHealth is the result of the short health query.
type StoreHealth struct {
	OK        bool    `json:"ok"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"` // short; the details are in the log
}

// BundleInfo names the newest published bundle.
type BundleInfo struct {
	Version uint64    `json:"version"`
	Created time.Time `json:"created"`
}

// Check runs the health query with the Check deadline.
func (s *Server) Check(ctx context.Context) Health {
	ctx, cancel := context.WithTimeout(ctx, s.timeouts.Check)
	defer cancel()
	start := time.Now()
	c, err := s.store.Check(ctx)
	h := Health{Store: StoreHealth{OK: err == nil, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}}
	if err != nil {
		h.Store.Error = "store unavailable"
		if ctx.Err() != nil {
			h.Store.Error = "store did not answer within " + s.timeouts.Check.String()
		}
		s.log.Warn("health: store check failed", "err", err)
	} else if c.BundleVersion > 0 {
		h.Bundle = &BundleInfo{Version: c.BundleVersion, Created: c.BundleCreated.UTC()}
	}
	if ns := s.lastWrite.Load(); ns != 0 {
		t := time.Unix(0, ns).UTC()
		age := s.now().Sub(t).Seconds()
		h.LastWrite, h.LastWriteAgeSeconds = &t, &age
	}
	h.OK = h.Store.OK
	return h
}

// health answers GET /healthz: the state of the store (a short query), the
// newest bundle and the last committed upload; 503 when the store does not
// answer. It needs no authentication and names no internals.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := s.Check(r.Context())
	code := http.StatusOK
	if !h.OK {
		code = http.StatusServiceUnavailable
		s.retryAfter(w)
	}
	s.writeJSON(w, code, h)
}

// ready answers GET /healthz/ready for orchestrators and load balancers:
// 200 when the store answers the health query in time, else 503 (take this
// instance out of rotation; it recovers by itself).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if h := s.Check(r.Context()); !h.OK {
		s.retryAfter(w)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: "+h.Store.Error+"\n") //nolint:errcheck // client gone
		return
	}
	io.WriteString(w, "ready\n") //nolint:errcheck // client gone
}

// live answers GET /healthz/live: the process serves HTTP. It does not
// look at the store, so an orchestrator does not restart the collector for
// an outage of the database that a restart cannot fix.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "live\n") //nolint:errcheck // client gone
}

func (s *Server) retryAfter(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, s.timeouts.RetryAfter).Round(time.Second)/time.Second)))
}
