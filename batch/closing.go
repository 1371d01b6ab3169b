package batch

import (
	"context"
	"fmt"
	"time"
)

// closeRun is one close under way (Service.Close).
type closeRun struct {
	since time.Time
	done  chan struct{} // closed when the close returned
}

// Closing is a close under way, for those who show it.
type Closing struct {
	Batch string
	Since time.Time
}

// startClose registers the close of id; when one is under way already
// it returns that one (joined) instead, registering nothing.
func (s *Service) startClose(id string) (run, joined *closeRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.closing[id]; ok {
		return nil, c
	}
	c := &closeRun{since: s.now(), done: make(chan struct{})}
	s.closing[id] = c
	return c, nil
}

// endClose unregisters the close of id and wakes those who wait for it.
func (s *Service) endClose(id string, c *closeRun) {
	s.mu.Lock()
	delete(s.closing, id)
	s.mu.Unlock()
	close(c.done)
}

// waitClose waits until no close of id is under way (its receipt is then
// stored), or ctx ends.
func (s *Service) waitClose(ctx context.Context, id string) error {
	s.mu.Lock()
	c, ok := s.closing[id]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("batch %s: waiting for its close to make the receipt: %w", id, context.Cause(ctx))
	}
}

// Closings are the closes under way, for the operator screen: a page
// that did not start one (another tab, a reload) says so too.
func (s *Service) Closings() []Closing {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Closing, 0, len(s.closing))
	for id, c := range s.closing {
		out = append(out, Closing{Batch: id, Since: c.since})
	}
	return out
}

func (s *Service) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}
