package sync

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterSpread: counters told the same Retry-After by a collector
// that sheds load (429, 503) come back spread over a quarter of it, not
// all in the same second (which is what made it shed load), never before
// it and never after max_backoff.
func TestRetryAfterSpread(t *testing.T) {
	err := &StatusError{Code: http.StatusTooManyRequests, RetryAfter: 20 * time.Second}
	wait := func(jitter float64, maxBackoff time.Duration) time.Duration {
		u := NewUploader(nil, nil, UploaderOptions{MinBackoff: time.Second, MaxBackoff: maxBackoff, Jitter: func() float64 { return jitter }}, quiet, nil)
		return u.failedAttempt(context.Background(), err)
	}
	low, high := wait(0, time.Hour), wait(0.999, time.Hour)
	if low < 20*time.Second || high < 20*time.Second {
		t.Fatalf("waits %v, %v: before the Retry-After of 20s", low, high)
	}
	if high-low < 4*time.Second || high > 25*time.Second {
		t.Fatalf("waits %v and %v: want them spread over a quarter of the 20s asked for", low, high)
	}
	if w := wait(0.999, 21*time.Second); w > 21*time.Second {
		t.Fatalf("wait %v beyond max_backoff 21s", w)
	}
}
