package sync

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"markd/mark"
)

// TestEventsOnlyAnswerNotMarkhubs: a supervisor's decision uploaded on
// its own (no record pending) is confirmed by markhub's answer, which
// always names stored, duplicates and events; a 2xx JSON answer without
// them ({} of a proxy or of another service at sync.url) moved the event
// cursor past the decision, which the collector never had. It stays due
// and reaches the collector once the collector answers.
func TestEventsOnlyAnswerNotMarkhubs(t *testing.T) {
	for _, body := range []string{`{}`, `{"status":"ok"}`, `{"alerts":[]}`} {
		t.Run(body, func(t *testing.T) {
			ctx := context.Background()
			col := newCollector(t, "office-a")
			f := newFront(t, col)
			db := openCounter(t)
			id := addScan(t, db, "1", 426000, mark.Reject, 1500, day0)
			u := NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			if err := u.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.ConfirmRejection(ctx, id, "boss", "checked"); err != nil {
				t.Fatal(err)
			}
			f.set(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body)) //nolint:errcheck // test
			})
			_, _, err := u.Once(ctx, true)
			var ue *UnconfirmedError
			if !errors.As(err, &ue) {
				t.Fatalf("Once: %v, want an UnconfirmedError", err)
			}
			if st, err := db.OutboxStats(ctx); err != nil || st.Events != 1 {
				t.Fatalf("outbox %+v, %v: the decision is no longer due", st, err)
			}
			f.set(nil)
			if err := u.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if st := stats(t, col.store); st.Events != 1 {
				t.Fatalf("collector holds %d events, want 1", st.Events)
			}
		})
	}
}
