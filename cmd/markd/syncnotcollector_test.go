package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// TestSyncOnceNotCollector: markd sync --once against something that is
// not markhub at sync.url (a front that answers {} to everything, or
// redirects) ends at once with exit 1 naming it, not 2 (the config was
// read), and does not retry until killed; nothing is marked uploaded.
func TestSyncOnceNotCollector(t *testing.T) {
	empty := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`)) //nolint:errcheck // test
	}
	tests := []struct {
		name     string
		restored bool // the store's reuse history is there: the upload meets the front
		h        http.HandlerFunc
		want     string
	}{
		{"new store, serials page {}", false, empty, "page of used serials"},
		{"upload answered {}", true, empty, "not markhub's answer"},
		{"upload redirected", true, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example"+r.URL.Path, http.StatusTemporaryRedirect)
		}, "redirecting to https://elsewhere.example/v1/upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.h)
			t.Cleanup(srv.Close)
			path := filepath.Join(t.TempDir(), "markd.db")
			initStore(t, path)
			ctx := context.Background()
			db, err := store.OpenExisting(ctx, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.restored {
				if err := db.RestoreDone(ctx, 0, ""); err != nil {
					t.Fatal(err)
				}
			}
			rec := &mark.Record{At: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Office: 426000, Counter: "1", Source: "t",
				Text: "not a mark", Verdict: mark.NotAMark, Reasons: []mark.Reason{mark.ReasonMalformed}}
			if err := db.Save(ctx, rec, time.Minute); err != nil {
				t.Fatal(err)
			}
			db.Close()
			t.Setenv("MARKD_SYNC_URL", srv.URL)
			t.Setenv("MARKD_SYNC_TOKEN", "mkt_test")
			t.Setenv("MARKD_SYNC_MAX_BACKOFF", "50ms")
			t.Setenv("MARKD_OFFICE", "426000")
			done := make(chan struct{})
			var code int
			var out, errs string
			go func() {
				defer close(done)
				code, out, errs = vtRun(t, "", "sync", "--once", "--db", path)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("markd sync --once still retrying after 30 s")
			}
			if code != 1 || !strings.Contains(errs, tt.want) {
				t.Fatalf("markd sync --once: exit %d, want 1 naming %q\nstdout:\n%s\nstderr:\n%s", code, tt.want, out, errs)
			}
			db, err = store.OpenExisting(ctx, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if st, err := db.OutboxStats(ctx); err != nil || st.Records != 1 {
				t.Fatalf("outbox %+v %v, want the record pending", st, err)
			}
		})
	}
}
