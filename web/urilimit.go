package web

import (
	"fmt"
	"net/http"
	"net/url"

	"markd/internal/httperr"
	"markd/mark"
)

// MaxURI bounds a request's path and query together, in bytes. The
// pages' longest (a review filter with every field, a cursor) are a few
// hundred; a longer one is refused before any route, which would echo a
// wrong value whole in its error and on its page (a 900 KB ?from= came
// back as 0.9 to 2.7 MB).
const MaxURI = 8192

// limitURI refuses a request whose path and query are over MaxURI: 414
// naming the limit.
func (s *Server) limitURI(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := len(r.URL.RequestURI()); n > MaxURI {
			s.fail(w, r, mark.WithHint(fmt.Errorf("the address (path and query) is %d bytes, more than %d: %w: %w",
				n, MaxURI, mark.ErrInvalid, httperr.ErrURITooLong), "a link of these pages is far shorter: open the page again from its menu"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loginNext is the login page's address with next= leading back to uri,
// or without it when it would be over MaxURI.
func loginNext(prefix, uri string) string {
	if q := prefix + "next=" + url.QueryEscape(uri); len(q) <= MaxURI {
		return q
	}
	return prefix[:len(prefix)-1] // "/login?" or "/login?ended=…&": drop the last ? or &
}
