package hub

import (
	"context"
	"net/http"
	"time"

	"markd/mark"
)

// Plausibility bounds the scan time (`at`) of an uploaded record: a
// counter whose clock was reset or runs days off must not write its dates
// into the collector, where they decide who used a serial first.
type Plausibility struct {
	// Ahead is how far a record may be stamped after the collector's clock.
	Ahead time.Duration
	// BeforeRegistration is how long before its terminal was registered a
	// record may be stamped (a counter may work offline before it is
	// registered, not for years).
	BeforeRegistration time.Duration
	// ReceiptSkew is how far after the moment the collector received it
	// an ACCEPT may be stamped before it is disputed
	// (ReasonScannedAfterReceipt, Checker.Judge); 0 turns that check off.
	// The default is the counter's sync.clock_limit default: beyond it a
	// counter makes no date-dependent verdict at all.
	ReceiptSkew time.Duration
}

// DefaultPlausibility is the bounds of a fresh Server.
func DefaultPlausibility() Plausibility {
	return Plausibility{Ahead: 10 * time.Minute, BeforeRegistration: 366 * 24 * time.Hour, ReceiptSkew: 5 * time.Minute}
}

// farAhead is how far after the collector's clock a review decision or a
// batch may be stamped (checkAt).
const farAhead = 24 * time.Hour

// earliestAt is before any mark of EPM v1 could be scanned.
var earliestAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// checkAt refuses records[i].at outside [floor, now+Ahead]: floor is the
// latest of 2020-01-01, the terminal's registration less
// BeforeRegistration, and the start of the day before the mark's issue
// date in the easternmost zone (mark.IssueFloor, the rule markd import
// holds a file's lines to: a day of slack in every zone). The times of
// the request's review decisions (events[i].at) and ended batches
// (batches[i].opened_at, closed_at) are refused outside [floor,
// now+farAhead]: a batch's closing day is the day its contract is
// invoiced for (ContractDays), so a counter whose clock was reset must
// not write a batch into 1970 or 2999. Their upper bound is a day, not
// Ahead: a record stamped ahead waits at the counter until the
// collector's clock passes it, but a refused decision or batch is set
// aside there, and a clock minutes ahead is no reason for that. The error
// names the field, so the counter sets that row aside and the others go on.
func (p Plausibility) checkAt(q *UploadRequest, now, registered time.Time) error {
	latest := now.Add(p.Ahead)
	floor := earliestAt
	if !registered.IsZero() && p.BeforeRegistration > 0 {
		floor = maxTime(floor, registered.Add(-p.BeforeRegistration))
	}
	ahead := func(field string, i int, name string, at time.Time) error {
		if at.After(latest) {
			return fieldErr(field, i, name, "%s is %s after the collector's clock (%s; at most %s): the counter's clock is wrong",
				at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), p.Ahead)
		}
		return nil
	}
	for i := range q.Records {
		r := &q.Records[i]
		if err := ahead("records", i, "at", r.At); err != nil {
			return err
		}
		f := floor
		why := "before the terminal could have scanned it"
		if r.Mark != nil {
			if d, err := mark.ParseDay(r.Mark.Issued); err == nil && mark.IssueFloor(d).After(f) {
				f, why = mark.IssueFloor(d), "before the day before the mark's issue date ("+r.Mark.Issued+") in every time zone"
			}
		}
		if r.At.Before(f) {
			return fieldErr("records", i, "at", "%s is %s: the counter's clock is wrong", r.At.UTC().Format(time.RFC3339), why)
		}
	}
	other := func(field string, i int, name string, at time.Time) error {
		if far := now.Add(max(p.Ahead, farAhead)); at.After(far) {
			return fieldErr(field, i, name, "%s is %s after the collector's clock (%s; at most %s): the counter's clock is wrong",
				at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), max(p.Ahead, farAhead))
		}
		if at.Before(floor) {
			return fieldErr(field, i, name, "%s is before the terminal could have worked (%s): the counter's clock is wrong",
				at.UTC().Format(time.RFC3339), floor.UTC().Format(time.RFC3339))
		}
		return nil
	}
	for i := range q.Events {
		if err := other("events", i, "at", q.Events[i].At); err != nil {
			return err
		}
	}
	for i := range q.Batches {
		b := &q.Batches[i]
		if err := other("batches", i, "opened_at", b.Opened); err != nil {
			return err
		}
		if err := other("batches", i, "closed_at", b.Closed); err != nil {
			return err
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// noteClock measures the terminal's clock from the Date header of its
// request (the counter's time when it sent it, truncated to the second)
// and keeps it when it moved by more than 2 s or a minute has passed since
// the last note, so a busy terminal costs no write per request. A failure
// is only logged: the skew is for the fleet view, not for the upload.
func (s *Server) noteClock(r *http.Request, t Terminal) {
	sent, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return
	}
	now := s.now()
	skew := sent.Add(500 * time.Millisecond).Sub(now).Round(time.Millisecond)
	if d := skew - t.ClockSkew; !t.SeenAt.IsZero() && now.Sub(t.SeenAt) < time.Minute && d < 2*time.Second && d > -2*time.Second {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Check)
	defer cancel()
	if err := s.store.NoteClock(ctx, t.Name, skew, now); err != nil {
		s.log.Debug("clock skew not noted", "terminal", t.Name, "err", err)
		return
	}
	if skew > s.plausible.Ahead || skew < -s.plausible.Ahead {
		s.log.Warn("terminal clock wrong", "terminal", t.Name, "skew", skew)
	}
}
