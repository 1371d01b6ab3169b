package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestStatusNamesWhy: /healthz's sync part says, beside the last error,
// the hint that goes with it (a revoked terminal: the markhub command
// that gives a new token) and the reason of markd_sync_upload_failing,
// so an engineer reading it from afar needs neither the counter's
// journal nor its metrics to know what to do. Gone after a success.
func TestStatusNamesWhy(t *testing.T) {
	col := newCollector(t, "office-a")
	f := newFront(t, col)
	f.set(jsonAnswer(http.StatusForbidden, `{"code":"forbidden","error":"terminal office-a was revoked","hint":"markhub terminal token office-a gives a new token"}`))
	_, u := frontUploader(t, f, nil, 1400)
	_, _, err := u.Once(context.Background(), true)
	u.failedAttempt(context.Background(), err)
	b, _ := json.Marshal(u.Status(context.Background()))
	if s := string(b); !strings.Contains(s, `"last_hint":"collector: markhub terminal token office-a gives a new token"`) ||
		!strings.Contains(s, `"failing_reason":"forbidden"`) {
		t.Fatalf("status %s: want the hint and the reason", s)
	}
	f.set(nil)
	if _, _, err := u.Once(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(u.Status(context.Background()))
	if s := string(b); strings.Contains(s, "last_hint") || strings.Contains(s, "failing_reason") {
		t.Fatalf("status %s after a success", s)
	}
}
