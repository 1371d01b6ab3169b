package hub

import (
	"context"
	"sync"
	"time"
)

// DefaultHealthMaxAge is how long one health query's result answers
// /healthz, /healthz/ready and the gauges of /metrics
// (ServerOptions.HealthMaxAge). Those routes need no login: before, each
// request ran the query, so a flood of them was a flood of store
// queries. Now one query runs at a time, every request that comes while
// it runs waits for it, and its result is reused this long: N requests at
// once cost one query, a steady flood at most four a second. Short
// enough that an orchestrator sees a store going away at its next probe.
const DefaultHealthMaxAge = 250 * time.Millisecond

// checkResult is one health query's outcome.
type checkResult struct {
	c        StoreCheck
	err      error
	timedOut bool          // the query did not answer within Timeouts.Check
	latency  time.Duration // how long the query took
	at       time.Time     // when it ended (monotonic)
}

// healthCache runs the health query one at a time and keeps its last
// result for maxAge.
type healthCache struct {
	maxAge  time.Duration // <= 0: a result is not reused (still one query at a time)
	mu      sync.Mutex
	last    *checkResult
	running chan struct{} // closed when the query under way ends; nil: none runs
}

// storeCheck returns the last health query's result when it is younger
// than the max age; else it joins the query under way or starts one. The
// query runs apart from ctx with its own deadline (Timeouts.Check), so a
// client that gives up does not fail the others waiting for it; ctx ends
// only this caller's wait.
func (s *Server) storeCheck(ctx context.Context) checkResult {
	hc := &s.healthCache
	hc.mu.Lock()
	if r := hc.last; r != nil && hc.maxAge > 0 && time.Since(r.at) < hc.maxAge {
		hc.mu.Unlock()
		return *r
	}
	if hc.running == nil {
		hc.running = make(chan struct{})
		go s.runCheck(hc.running)
	}
	running := hc.running
	hc.mu.Unlock()
	select {
	case <-running:
	case <-ctx.Done():
		return checkResult{err: ctx.Err(), timedOut: true, at: time.Now()}
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return *hc.last
}

// runCheck runs one health query and hands its result to the waiting
// requests by closing done.
func (s *Server) runCheck(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeouts.Check)
	defer cancel()
	start := time.Now()
	c, err := s.store.Check(ctx)
	r := &checkResult{c: c, err: err, timedOut: err != nil && ctx.Err() != nil, latency: time.Since(start), at: time.Now()}
	if err != nil {
		s.log.Warn("health: store check failed", "err", err)
	}
	hc := &s.healthCache
	hc.mu.Lock()
	hc.last, hc.running = r, nil
	hc.mu.Unlock()
	close(done)
}
