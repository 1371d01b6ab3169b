package hub

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HeaderWaiting is the request header in which a counter reports, with
// each upload, how many records wait in its outbox besides the ones in
// the request: the fleet page's "records waiting". A header and not a
// body field, so a new counter still uploads to an older collector (which
// refuses unknown body fields but ignores headers).
const HeaderWaiting = "X-Outbox-Records"

// MaxWaiting bounds the reported backlog (a counter stores far fewer).
const MaxWaiting = 1 << 40

// waitingRefresh is how old a stored backlog may get before an unchanged
// report is written again (so the page can tell when it was reported).
const waitingRefresh = time.Minute

// parseWaiting reads the X-Outbox-Records header: absent is (nil, nil),
// anything but a whole number in 0..MaxWaiting is a *FieldError naming it.
func parseWaiting(h http.Header) (*int64, error) {
	v := h.Values(HeaderWaiting)
	if len(v) == 0 {
		return nil, nil
	}
	if len(v) > 1 {
		return nil, &FieldError{Field: HeaderWaiting, Why: "sent more than once"}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64)
	if err != nil || n < 0 || n > MaxWaiting {
		return nil, &FieldError{Field: HeaderWaiting, Why: fmt.Sprintf("%q: use the number of records waiting, 0..%d", v[0], int64(MaxWaiting))}
	}
	return &n, nil
}

// waitingToStore returns the reported backlog if it is worth a write:
// changed, or the stored one older than waitingRefresh.
func waitingToStore(t Terminal, n *int64, now time.Time) *int64 {
	if n == nil {
		return nil
	}
	if !t.WaitingAt.IsZero() && t.Waiting == *n && now.Sub(t.WaitingAt) < waitingRefresh && !now.Before(t.WaitingAt) {
		return nil
	}
	return n
}
