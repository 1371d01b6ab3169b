package hub

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// DefaultMinBodyRate and BodyGrace are the slowest a request body may
// arrive (min_body_rate, bytes a second) after the first BodyGrace:
// before, a client could hold a connection and its goroutine for the
// server's whole 2-minute read timeout by sending a body a byte at a
// time, from as many connections as it liked. A minimum rate, not a
// timeout from the declared size: a client declaring 8 MiB and sending 10
// bytes gets no more time than one declaring 10, and a chunked body
// (no size declared) is held to the same rate. 2 KiB/s (16 kbit/s) is
// below any mobile data link a counter syncs over; a body that slow could
// not bring a default batch (2000 records, about 1.4 MB) within the
// 2 minutes anyway.
const (
	DefaultMinBodyRate = 2048
	BodyGrace          = 10 * time.Second
)

// ErrBodyTooSlow is the error of a request body read once it arrives
// slower than the minimum rate (MinBodyRate).
var ErrBodyTooSlow = errors.New("request body arrives too slowly")

// MinBodyRate holds every request body of next to min bytes a second
// after BodyGrace, never past longest from the request's start (the
// server's read timeout; 0: none): each read of the body may wait until
// start + BodyGrace + received/min, and a read past it fails with
// ErrBodyTooSlow (logged once with the client's address). The upload
// route then closes the connection without an answer (a counter takes
// that as an outage and sends again). min <= 0: next as it is.
func MinBodyRate(next http.Handler, min int, longest time.Duration, log *slog.Logger) http.Handler {
	if min <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		b := &rateBody{body: r.Body, rc: http.NewResponseController(w), start: time.Now(), min: min, log: log, r: r}
		if longest > 0 {
			b.end = b.start.Add(longest)
		}
		_ = b.rc.SetReadDeadline(b.deadline()) // not supported: the server's own timeouts stand
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// rateBody is a request body held to a minimum rate.
type rateBody struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	start    time.Time
	end      time.Time // zero: no cap
	min      int
	received int64
	done     bool  // read to its end: the connection's deadline is back to end
	err      error // ErrBodyTooSlow once cut
	log      *slog.Logger
	r        *http.Request
}

// deadline is when the next read must have brought something: after the
// grace, the bytes received so far at the minimum rate, capped at end.
func (b *rateBody) deadline() time.Time {
	d := b.start.Add(BodyGrace + time.Duration(float64(b.received)/float64(b.min)*float64(time.Second)))
	if !b.end.IsZero() && d.After(b.end) {
		d = b.end
	}
	return d
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.done {
		return b.body.Read(p)
	}
	if b.err != nil {
		return 0, b.err
	}
	d := b.deadline()
	if !time.Now().Before(d) {
		return 0, b.cut(nil)
	}
	_ = b.rc.SetReadDeadline(d)
	n, err := b.body.Read(p)
	b.received += int64(n)
	switch {
	case err == io.EOF:
		// The server now waits for the next request on this connection
		// in the background; a deadline passing there would cancel the
		// request under way.
		b.done = true
		_ = b.rc.SetReadDeadline(b.end)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, b.cut(err)
	}
	return n, err
}

// cut ends the body: logged once, the same error from every later read.
func (b *rateBody) cut(err error) error {
	took := time.Since(b.start)
	b.err = fmt.Errorf("%w: %d bytes in %v, at least %d bytes a second after the first %v: %w",
		ErrBodyTooSlow, b.received, took.Round(time.Millisecond), b.min, BodyGrace, errors.Join(os.ErrDeadlineExceeded, err))
	if b.log != nil {
		b.log.Warn("request body too slow: connection closed", "remote", b.r.RemoteAddr, "path", b.r.URL.Path,
			"received", b.received, "declared", b.r.ContentLength, "took", took.Round(time.Millisecond), "min_body_rate", b.min)
	}
	return b.err
}

func (b *rateBody) Close() error { return b.body.Close() }
