package sync

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestUploadFailingReason: an engineer looking at the fleet's metrics
// sees why a counter does not upload, not only that it fails
// (markd_sync_upload_failures_total): markd_sync_upload_failing{reason}
// is 1 for the reason of the last attempt and 0 for the others, all 0
// once an upload is confirmed. Each row is a real collector behind a
// front that answers in its place.
func TestUploadFailingReason(t *testing.T) {
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			w.Write([]byte(body)) //nolint:errcheck // test
		}
	}
	tests := []struct {
		name   string
		h      http.HandlerFunc
		reason string
	}{
		{"collector down", status(http.StatusServiceUnavailable, `{"code":"unavailable","error":"busy"}`), "unavailable"},
		{"too many requests", status(http.StatusTooManyRequests, `{"code":"unavailable","error":"slow down"}`), "unavailable"},
		{"token unknown", status(http.StatusUnauthorized, `{"code":"unauthorized","error":"unknown token"}`), "unauthorized"},
		{"terminal revoked", status(http.StatusForbidden, `{"code":"forbidden","error":"terminal office-a was revoked"}`), "forbidden"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/v1/upload", http.StatusPermanentRedirect)
		}, "redirect"},
		{"answer not markhub's", status(http.StatusOK, `{}`), "unconfirmed_answer"},
		{"bad request", status(http.StatusBadRequest, `{"code":"invalid","error":"no"}`), "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(t, "office-a")
			f := newFront(t, col)
			f.set(tt.h)
			reg := prometheus.NewRegistry()
			_, u := frontUploader(t, f, reg, 1200)
			_, _, err := u.Once(context.Background(), true)
			if err == nil {
				t.Fatal("Once: no error")
			}
			u.failedAttempt(context.Background(), err)
			want := func(reason string) {
				t.Helper()
				got := gaugesByLabel(t, reg, "markd_sync_upload_failing", "reason")
				if len(got) != len(failReasons) {
					t.Fatalf("markd_sync_upload_failing %v, want one series for each of %v", got, failReasons)
				}
				for _, r := range failReasons {
					if w := map[bool]float64{true: 1}[r == reason]; got[r] != w {
						t.Fatalf("markd_sync_upload_failing %v: want %q 1, the others 0 (err %v)", got, reason, err)
					}
				}
			}
			want(tt.reason)
			f.set(nil)
			if _, _, err := u.Once(context.Background(), true); err != nil {
				t.Fatal(err)
			}
			want("")
		})
	}
}
