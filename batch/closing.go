package batch

import (
	"context"
	"fmt"
	"time"
)

// closeRun is one close under way (Service.Close).
type closeRun struct {
	since time.Time
	step  CloseStep     // guarded by Service.mu
	done  chan struct{} // closed when the close returned
}

// CloseStep is how far a close under way is, for the operator screen:
// with a list of 100 000 items the receipt takes seconds to make. Saying
// it costs a map look-up per step.
type CloseStep int

// The steps of a close, in order.
const (
	StepEnd     CloseStep = iota + 1 // the batch is being closed in the store
	StepRead                         // its list and scans are read
	StepCompare                      // the scans are compared with the list
	StepLayout                       // the receipt's pages are laid out
	StepWrite                        // the receipt PDF is written
	StepStore                        // the receipt is stored
)

// CloseSteps is how many steps a close has.
const CloseSteps = int(StepStore)

// Closing is a close under way, for those who show it.
type Closing struct {
	Batch string
	Since time.Time
	Step  CloseStep
}

// startClose registers the close of id; when one is under way already
// it returns that one (joined) instead, registering nothing.
func (s *Service) startClose(id string) (run, joined *closeRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.closing[id]; ok {
		return nil, c
	}
	c := &closeRun{since: s.now(), step: StepEnd, done: make(chan struct{})}
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
		out = append(out, Closing{Batch: id, Since: c.since, Step: c.step})
	}
	return out
}

// stepTo records that the close of id under way (if any: the receipt is
// also made when asked for) has come to step.
func (s *Service) stepTo(id string, step CloseStep) {
	s.mu.Lock()
	if c, ok := s.closing[id]; ok {
		c.step = step
	}
	s.mu.Unlock()
}

func (s *Service) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}
