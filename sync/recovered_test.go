package sync

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/internal/syncbuf"
	"markd/mark"
)

// TestRecoveryLogged: an engineer reading a counter's log at info level
// sees a run of failed uploads (warn) and then when, and after how many
// failures over how long, the uploads work again: not silence, which
// looks like a counter still failing or one that stopped logging. Each
// failure line says since when the uploads fail.
func TestRecoveryLogged(t *testing.T) {
	col := newCollector(t, "office-a")
	f := newFront(t, col)
	var refused atomic.Int32
	f.set(func(w http.ResponseWriter, r *http.Request) {
		if refused.Add(1) > 3 {
			f.set(nil)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"code":"unavailable","error":"database busy"}`)) //nolint:errcheck // test
	})
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 1001, day0)
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	u := NewUploader(db, newClient(t, f.srv.URL, "office-a"), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		BatchAge: time.Millisecond}, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Serve(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for (pending(t, db) != 0 || !strings.Contains(logs.String(), "upload works again")) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	var failed, again []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(l, "upload failed"):
			failed = append(failed, l)
		case strings.Contains(l, "upload works again"):
			again = append(again, l)
		}
	}
	if len(failed) != 4 {
		t.Fatalf("%d failure lines, want 4:\n%s", len(failed), out)
	}
	for _, l := range failed {
		if !strings.Contains(l, "failing_since=") {
			t.Errorf("failure line without failing_since: %s", l)
		}
	}
	if len(again) != 1 || !strings.Contains(again[0], "level=INFO") || !strings.Contains(again[0], "failures=4") ||
		!strings.Contains(again[0], "failed_for=") {
		t.Fatalf("want one info line saying uploads work again after 4 failures and for how long, got %q in:\n%s", again, out)
	}
}
