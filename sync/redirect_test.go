package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"

	"markd/mark"
)

// TestRedirectNotFollowed: an answer that redirects (a moved collector, a
// proxy sending http to https elsewhere) is not followed: the token and
// the records go to no other host than sync.url names, nothing is marked
// uploaded, and the error names where the answer pointed and what to set.
func TestRedirectNotFollowed(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			col := newCollector(t, "office-a")
			var mu gosync.Mutex
			var leaked []string
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				leaked = append(leaked, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"stored":1,"duplicates":0,"events":0,"unverified":0,"alerts":[]}`)) //nolint:errcheck // test
			}))
			t.Cleanup(other.Close)
			f := newFront(t, col)
			f.set(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.RequestURI(), code)
			})
			db, u := frontUploader(t, f, nil, 960)
			_, _, err := u.Once(context.Background(), true)
			mu.Lock()
			defer mu.Unlock()
			if len(leaked) > 0 {
				t.Fatalf("the redirect was followed to another host: %q", leaked)
			}
			if err == nil || errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), other.URL+"/v1/upload") ||
				!strings.Contains(err.Error(), "sync.url") {
				t.Fatalf("Once: %v, want a refusal naming %s and sync.url", err, other.URL)
			}
			if n := pending(t, db); n != 1 {
				t.Fatalf("%d records pending, want 1", n)
			}
		})
	}
}
