package httperr

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"markd/mark"
)

// Body is the JSON form of an error answer, the same for the daemon's
// API, its pages and markhub.
type Body struct {
	Code  string `json:"code,omitempty"` // invalid, unauthorized, forbidden, not_found, conflict, method_not_allowed, too_large, unsupported_type, unavailable, internal
	Error string `json:"error"`
	Field string `json:"field,omitempty"` // the request field at fault (markhub)
	Hint  string `json:"hint,omitempty"`  // what to do about it, for people
}

// Describe returns the status of err and what a client is told about it:
// for a client error (4xx) its text and hint; for a server error (5xx) a
// fixed text of the status instead of the details (file names, SQL,
// hosts), which belong in the log. The hint is kept: it is written for
// people and names no internals.
func Describe(err error) (int, Body) {
	code := Status(err)
	b := Body{Code: Code(code), Error: err.Error(), Hint: mark.Hint(err)}
	switch {
	case code == http.StatusServiceUnavailable:
		b.Error = "temporarily unavailable; retry later"
	case code >= 500:
		b.Error = "internal error"
	}
	return code, b
}

// Code is the short machine-readable code of an error status.
func Code(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_type"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusTooManyRequests:
		return "too_many"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// Writer answers requests with errors: one for the daemon's API, its
// pages and markhub.
type Writer struct {
	Log *slog.Logger
	// LogAttrs, when set, adds attributes of the request to the log line.
	LogAttrs func(*http.Request) []any
	// HTML, when set, renders the answer for a browser (Accept: text/html).
	HTML func(w http.ResponseWriter, r *http.Request, status int, b Body, err error)
	// Text answers clients that ask for neither HTML nor JSON (outside
	// /api/) in plain text; without it every answer is JSON.
	Text bool
}

// Write answers err with the status of its sentinel and returns the
// status. A server error is logged with its details (level error); a
// client error, or any error of a request its client gave up, at debug
// level.
func (wr Writer) Write(w http.ResponseWriter, r *http.Request, err error) int {
	code, b := Describe(err)
	wr.Answer(w, r, code, b, err)
	return code
}

// Answer is Write with the status and body already chosen (markhub adds
// the field at fault).
func (wr Writer) Answer(w http.ResponseWriter, r *http.Request, code int, b Body, err error) {
	if wr.Log != nil {
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", code, "err", err}
		if h := mark.Hint(err); h != "" {
			attrs = append(attrs, "hint", h)
		}
		if wr.LogAttrs != nil {
			attrs = append(attrs, wr.LogAttrs(r)...)
		}
		switch {
		case r.Context().Err() != nil:
			// The client went away (a page left, a fetch aborted): its
			// request's store calls were cancelled, not failed.
			wr.Log.Debug("request abandoned", attrs...)
		case code >= 500:
			wr.Log.Error("request failed", attrs...)
		default:
			wr.Log.Debug("request refused", attrs...)
		}
	}
	retryAfter(w, code)
	accept := r.Header.Get("Accept")
	switch {
	case wr.HTML != nil && strings.Contains(accept, "text/html"):
		wr.HTML(w, r, code, b, err)
	case !wr.Text || strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(accept, "application/json"):
		WriteJSON(w, code, b)
	default:
		msg := b.Error
		if b.Hint != "" {
			msg += "\nhint: " + b.Hint
		}
		http.Error(w, msg, code)
	}
}

// WriteJSON writes v as the JSON answer with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	retryAfter(w, code)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away
}

// RetryAfter is the Retry-After of a 503 that sets none of its own, in
// seconds: a store that cannot write (a full disk, a lock) is worth asking
// again after a few seconds, not in a tight loop.
const RetryAfter = "5"

// retryAfter gives a 503 answer a Retry-After unless it has one.
func retryAfter(w http.ResponseWriter, code int) {
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfter)
	}
}
