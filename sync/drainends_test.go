package sync

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestDrainEndsOnWrongCollector: `markd sync --once` (Drain) ends with
// the error when what answers at sync.url is not the collector, as it
// does on 401 and 403: a redirect, a 2xx that confirms none of the
// records. Waiting does not mend either; it retried until killed.
func TestDrainEndsOnWrongCollector(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
		want any
	}{
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/v1/upload", http.StatusMovedPermanently)
		}, new(*StatusError)},
		{"answer not markhub's", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`)) //nolint:errcheck // test
		}, new(*UnconfirmedError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := newCollector(t, "office-a")
			f := newFront(t, col)
			f.set(tt.h)
			db, u := frontUploader(t, f, nil, 1300)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := u.Drain(ctx)
			if ctx.Err() != nil || !errors.As(err, tt.want) {
				t.Fatalf("Drain: %v, want it to end on the answer", err)
			}
			if n := pending(t, db); n != 1 {
				t.Fatalf("%d pending, want 1", n)
			}
		})
	}
}
