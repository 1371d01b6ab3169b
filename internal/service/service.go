// Package service runs the daemon's long-running parts under one
// supervisor (syncthing's shape, in our own ~100 lines instead of
// thejerf/suture: see docs/notes/daemon.md). Each part is a Service whose
// Serve returns when its context ends. The supervisor restarts a part that
// fails (returns an error or panics) after a growing wait, lets a part that
// returns nil rest (a source whose input ended), and stops everything when
// a part reports a configuration error (mark.ErrInvalid, or one wrapped
// with Fatal): restarting cannot fix those.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"markd/mark"
)

// Service is one long-running part of the daemon. Serve runs until ctx
// ends (then it returns nil or ctx.Err()), until its work is done (nil) or
// until it fails (an error).
type Service interface {
	Serve(ctx context.Context) error
}

// Func adapts a function to Service.
type Func func(ctx context.Context) error

// Serve calls f.
func (f Func) Serve(ctx context.Context) error { return f(ctx) }

// errFatal marks errors that stop the supervisor.
var errFatal = errors.New("not restarted")

type fatalError struct{ err error }

func (e fatalError) Error() string   { return e.err.Error() }
func (e fatalError) Unwrap() []error { return []error{e.err, errFatal} }

// Fatal marks err as one that restarting cannot fix: the supervisor stops
// every service and returns it. Errors that wrap mark.ErrInvalid (bad
// configuration) are fatal without it.
func Fatal(err error) error { return fatalError{err} }

// IsFatal reports whether err stops the supervisor.
func IsFatal(err error) bool { return errors.Is(err, errFatal) || errors.Is(err, mark.ErrInvalid) }

// Options tune a Supervisor. Zero values take the defaults.
type Options struct {
	Log        *slog.Logger
	MinBackoff time.Duration // first wait before a restart; default 100ms
	MaxBackoff time.Duration // longest wait; default 10s
	// Healthy is how long a part must run before its next failure counts
	// as a first one again; default 30s.
	Healthy time.Duration
	// Grace is how long Serve waits for the parts after ctx ends; default 5s.
	Grace time.Duration
}

// Supervisor runs services and restarts them. Add every service before
// Serve.
type Supervisor struct {
	o     Options
	names []string
	svcs  []Service
}

// New returns a supervisor without services.
func New(o Options) *Supervisor {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(10*time.Second, o.MinBackoff)
	}
	if o.Healthy <= 0 {
		o.Healthy = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	return &Supervisor{o: o}
}

// Add adds a service under a name for the logs.
func (s *Supervisor) Add(name string, svc Service) {
	s.names = append(s.names, name)
	s.svcs = append(s.svcs, svc)
}

// Serve runs every service until ctx ends or one fails fatally, then waits
// up to Grace for the others. It returns nil after ctx ended, or the fatal
// error.
func (s *Supervisor) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i, svc := range s.svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.keep(ctx, s.names[i], svc); err != nil {
				cancel(err)
			}
		}()
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(s.o.Grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.o.Log.Warn("a service did not stop in time", "grace", s.o.Grace)
	}
	if err := context.Cause(ctx); err != nil && IsFatal(err) {
		return err
	}
	return nil
}

// keep runs one service, restarting it after failures; it returns a fatal
// error, or nil when the service is done or ctx ended.
func (s *Supervisor) keep(ctx context.Context, name string, svc Service) error {
	log := s.o.Log.With("service", name)
	wait := s.o.MinBackoff
	for {
		start := time.Now()
		err := serveOnce(ctx, svc)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			log.Info("service done")
			return nil
		case IsFatal(err):
			log.Error("service failed: stopping the daemon", "err", err, mark.HintAttr(err))
			return fmt.Errorf("%s: %w", name, err)
		}
		if time.Since(start) >= s.o.Healthy {
			wait = s.o.MinBackoff
		}
		log.Error("service failed, restarting", "err", err, mark.HintAttr(err), "restart_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(wait*2, s.o.MaxBackoff)
	}
}

// serveOnce runs svc once, turning a panic into an error.
func serveOnce(ctx context.Context, svc Service) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return svc.Serve(ctx)
}

// Grace is how long Serve waits for the services after ctx ends.
func (s *Supervisor) Grace() time.Duration { return s.o.Grace }
