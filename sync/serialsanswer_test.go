package sync

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestSerialsAnswerNotMarkhubs: a new store restores its office's used
// serials page by page from GET /v1/serials. An answer that is not
// markhub's page (JSON of something else in front of the collector, {}),
// which neither ends nor moves the cursor, is an error naming it, after
// one request: it was asked again at once, for ever, with no backoff
// (thousands of requests a second at the proxy, every mark ERROR). The
// store stays unrestored; the collector reachable again, it restores.
func TestSerialsAnswerNotMarkhubs(t *testing.T) {
	for _, body := range []string{`{}`, `{"status":"ok"}`, `{"done":true}`, `{"office":426000,"serials":[],"next":0,"done":false}`} {
		t.Run(body, func(t *testing.T) {
			ctx := context.Background()
			col := newCollector(t, "office-a")
			old := openCounter(t)
			saveMark(t, old, 1, mark.Accept, day0)
			if err := NewUploader(old, newClient(t, col.srv.URL, "office-a"), UploaderOptions{}, quiet, nil).Drain(ctx); err != nil {
				t.Fatal(err)
			}
			f := newFront(t, col)
			var asked atomic.Int64
			f.set(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.URL.Path, "/v1/serials") {
					f.proxy.ServeHTTP(w, r)
					return
				}
				asked.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body)) //nolint:errcheck // test
			})
			fresh, err := store.Create(ctx, filepath.Join(t.TempDir(), "markd.db"), quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fresh.Close() })
			s, err := New(ctx, fresh, Options{Client: ClientOptions{URL: f.srv.URL, Token: "tok-office-a", Timeout: 5 * time.Second},
				Now: testdata.Now}, nil, quiet, nil)
			if err != nil {
				t.Fatal(err)
			}
			tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			_, err = s.History.RestoreNow(tctx)
			if !errors.Is(err, ErrHistoryNotRestored) || tctx.Err() != nil || !strings.Contains(err.Error(), "not markhub") {
				t.Fatalf("RestoreNow: %v after %d requests, want an error naming an answer that is not markhub's", err, asked.Load())
			}
			if n := asked.Load(); n != 1 {
				t.Fatalf("%d requests for the page, want 1", n)
			}
			if s.History.Done() {
				t.Fatal("history taken as restored")
			}
			f.set(nil)
			if _, err := s.History.RestoreNow(ctx); err != nil || !s.History.Done() {
				t.Fatalf("RestoreNow with markhub answering: %v", err)
			}
		})
	}
}
