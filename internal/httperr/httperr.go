// Package httperr maps the sentinel errors of package mark to HTTP status
// codes, once for every HTTP layer (the daemon's API, its pages, markhub).
package httperr

import (
	"errors"
	"net/http"

	"markd/mark"
)

// ErrMediaType is a request body of a type the route does not take
// (415); it is wrapped beside mark.ErrInvalid.
var ErrMediaType = errors.New("unsupported media type")

// ErrURITooLong is a request whose path and query are over a limit
// (414; it comes with mark.ErrInvalid).
var ErrURITooLong = errors.New("address too long")

// ErrTooMany is a request over a limit of its client (429; the writer of
// the error sets Retry-After).
var ErrTooMany = errors.New("too many")

// ErrMethod is a request whose method its route does not take (405).
var ErrMethod = errors.New("method not allowed")

// Status is the HTTP status of err: the status of the first sentinel it
// wraps, 500 for anything else (an internal error, to be logged).
func Status(err error) int {
	switch {
	case errors.Is(err, ErrURITooLong): // before ErrInvalid, which it comes with
		return http.StatusRequestURITooLong
	case errors.Is(err, mark.ErrTooLarge): // before ErrInvalid, which it comes with
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMediaType): // the same
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrTooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, mark.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, mark.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, mark.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, mark.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, mark.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, mark.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
