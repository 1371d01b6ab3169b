package httperr

import (
	"fmt"
	"net/http"

	"markd/mark"
)

// NoRoute is the error for a request mux has no route for, so that an
// API answers it in its own error body rather than the mux's plain text:
// ErrMethod when the path has routes for other methods (the Allow header
// set on w), else mark.ErrNotFound. It is nil when mux has a route for r.
func NoRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	if _, pattern := mux.Handler(r); pattern != "" {
		return nil
	}
	probe := &headerOnly{h: http.Header{}}
	mux.ServeHTTP(probe, r) // the mux's own 404 or 405, to learn which
	if probe.code == http.StatusMethodNotAllowed {
		allow := probe.h.Get("Allow")
		w.Header().Set("Allow", allow)
		return fmt.Errorf("%s %s: this route takes %s: %w", r.Method, r.URL.Path, allow, ErrMethod)
	}
	return fmt.Errorf("%s %s: no such route: %w", r.Method, r.URL.Path, mark.ErrNotFound)
}

// headerOnly keeps the status and headers of an answer, not its body.
type headerOnly struct {
	h    http.Header
	code int
}

func (p *headerOnly) Header() http.Header         { return p.h }
func (p *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerOnly) WriteHeader(code int)        { p.code = code }
