package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"markd/mark"
	"markd/store"
)

// Scope is how much of the stored scans a request may read. The web pages
// set it from the session's role; a request without one (a program's
// token, the daemon's own callers) reads everything.
type Scope int

const (
	// ScopeAll reads every stored scan with every filter: supervisors,
	// programs with an API token.
	ScopeAll Scope = iota
	// ScopeCounterToday reads what the operator screen shows: this
	// counter's scans of today, without the review filters.
	ScopeCounterToday
)

type scopeKey struct{}

// WithScope sets the scope of a request.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

func scopeOf(ctx context.Context) Scope {
	s, _ := ctx.Value(scopeKey{}).(Scope)
	return s
}

// operatorParams are the query parameters of GET /api/scans an operator
// may send: paging, and dates and counter within their own counter's day.
var operatorParams = map[string]bool{"from": true, "to": true, "counter": true, "cursor": true, "limit": true, "order": true}

// errReviewOnly says that what was asked is the supervisors' review data.
func errReviewOnly(format string, args ...any) error {
	return mark.WithHint(fmt.Errorf(format+": %w", append(args, mark.ErrForbidden)...),
		"operators read their counter's scans of today; log in as a supervisor for the review")
}

// errOtherBatch says that a batch is not the operator's to read.
func errOtherBatch(format string, args ...any) error {
	return mark.WithHint(fmt.Errorf(format+": %w", append(args, mark.ErrForbidden)...),
		"operators read their counter's open batches and those ended today; a supervisor reads every batch (Партии / Batches)")
}

// today is the day of now in the office's time zone: [start, end).
func (s *Server) today() (start, end time.Time) {
	return mark.DayBounds(s.opt.Now(), s.opt.Location)
}

// limitScope narrows f to what the request's scope may read, or refuses
// with 403 naming the parameter. The filter an operator gets is always
// this counter's today, whatever the cursor says.
func (s *Server) limitScope(r *http.Request, f store.Filter) (store.Filter, error) {
	if scopeOf(r.Context()) != ScopeCounterToday {
		return f, nil
	}
	for key := range r.URL.Query() {
		if !operatorParams[key] {
			return f, errReviewOnly("query %s: filters are for supervisors", key)
		}
	}
	start, end := s.today()
	if !f.From.IsZero() && (f.From.Before(start) || !f.From.Before(end)) {
		return f, errReviewOnly("query from=%s: not today (%s): other days are for supervisors", r.URL.Query().Get("from"), start.Format(time.DateOnly))
	}
	if !f.To.IsZero() && (f.To.Before(start) || f.To.After(end)) {
		return f, errReviewOnly("query to=%s: not today (%s): other days are for supervisors", r.URL.Query().Get("to"), start.Format(time.DateOnly))
	}
	if f.Counter != "" && f.Counter != s.opt.Counter {
		return f, errReviewOnly("query counter=%s: not this counter (%s)", f.Counter, s.opt.Counter)
	}
	if f.From.IsZero() {
		f.From = start
	}
	if f.To.IsZero() {
		f.To = end
	}
	f.Counter = s.opt.Counter
	return f, nil
}

// recordInScope refuses a record an operator may not read: another
// counter's, or another day's.
func (s *Server) recordInScope(r *http.Request, rec mark.Record) error {
	if scopeOf(r.Context()) != ScopeCounterToday {
		return nil
	}
	start, end := s.today()
	if rec.Counter != s.opt.Counter || rec.At.Before(start) || !rec.At.Before(end) {
		return errReviewOnly("scan %s: not of today at this counter", rec.ID)
	}
	return nil
}

// OperatorBatch refuses a batch an operator may not read or act on: one
// of another counter, or one that ended (closed or cancelled) on another
// day than [start, end). An open batch of this counter stays the
// operator's whatever day it was opened: it must still be closed.
func OperatorBatch(b mark.Batch, counter string, start, end time.Time) error {
	if b.Counter != counter {
		return errOtherBatch("batch %s: of counter %s, not this counter (%s)", b.ID, b.Counter, counter)
	}
	if b.State != mark.BatchOpen && (b.Closed.Before(start) || !b.Closed.Before(end)) {
		return errOtherBatch("batch %s: %s on %s, not today (%s): other days are for supervisors", b.ID, b.State,
			b.Closed.In(start.Location()).Format(time.DateOnly), start.Format(time.DateOnly))
	}
	return nil
}

// batchInScope refuses, for an operator's request, the batch id names when
// OperatorBatch does; an unknown batch is mark.ErrNotFound for everyone.
func (s *Server) batchInScope(r *http.Request, id string) error {
	if scopeOf(r.Context()) != ScopeCounterToday {
		return nil
	}
	b, err := s.opt.Batches.Get(r.Context(), id)
	if err != nil {
		return err
	}
	start, end := s.today()
	return OperatorBatch(b, s.opt.Counter, start, end)
}
