package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"markd/mark"
)

// TestRetryAfterForms: the wait a 429 or 503 asks for, in seconds or as
// an HTTP date (read against the answer's own Date, so a counter whose
// clock is a day off waits what was asked), is the least wait before the
// next attempt, capped at max_backoff.
func TestRetryAfterForms(t *testing.T) {
	hubNow := day0.Add(24 * time.Hour) // the counter's clock is a day behind
	tests := []struct {
		name       string
		code       int
		retryAfter string
		want       time.Duration
	}{
		{"429 seconds", http.StatusTooManyRequests, "120", 120 * time.Second},
		{"503 seconds", http.StatusServiceUnavailable, "30", 30 * time.Second},
		{"429 date", http.StatusTooManyRequests, hubNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"503 date in the past", http.StatusServiceUnavailable, hubNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"429 garbage", http.StatusTooManyRequests, "soon", 0},
		{"503 beyond any duration", http.StatusServiceUnavailable, "99999999999999", 366 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Date", hubNow.Format(http.TimeFormat))
				w.Header().Set("Retry-After", tt.retryAfter)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.code)
				w.Write([]byte(`{"code":"unavailable","error":"busy"}`)) //nolint:errcheck // test
			}))
			t.Cleanup(srv.Close)
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 990, day0)
			u := NewUploader(db, newClient(t, srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Hour,
				Now: func() time.Time { return day0 }, Jitter: func() float64 { return 0 }}, quiet, nil)
			_, _, err := u.Once(context.Background(), true)
			if !errors.Is(err, mark.ErrUnavailable) {
				t.Fatalf("Once: %v", err)
			}
			if got := retryAfter(err); got != tt.want {
				t.Fatalf("retry after %v, want %v", got, tt.want)
			}
			if w, least := u.failedAttempt(context.Background(), err), min(tt.want, time.Hour); w < least {
				t.Fatalf("wait %v, want at least %v", w, least)
			}
			u.o.MaxBackoff = 10 * time.Second
			if w := u.failedAttempt(context.Background(), err); w > 10*time.Second {
				t.Fatalf("wait %v beyond max_backoff", w)
			}
		})
	}
}
