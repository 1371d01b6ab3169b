package mark

import (
	"errors"
	"log/slog"
)

// Sentinel errors that callers test with errors.Is.
var (
	ErrInvalid      = errors.New("invalid")      // bad input or configuration
	ErrNotFound     = errors.New("not found")    // no such record, user, key
	ErrConflict     = errors.New("conflict")     // state does not allow the action
	ErrUnavailable  = errors.New("unavailable")  // store, device or peer cannot be used now
	ErrUnauthorized = errors.New("unauthorized") // missing or wrong credentials
	ErrForbidden    = errors.New("forbidden")    // authenticated but not allowed
	// ErrTooLarge: input over a limit (a request body, a list's items);
	// it is wrapped beside ErrInvalid, and HTTP answers it with 413.
	ErrTooLarge = errors.New("too large")
)

// HintError carries an operator hint beside the error: what to do about
// it. The hint is a separate field, not part of Error(): whoever shows
// the error shows the hint once beside it (cli.Exit, the "hint" attribute
// of a log line, the "hint" of an HTTP error answer).
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint wraps err with an operator hint.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, Hint: hint}
}

// Hint returns the operator hint of err, or "".
func Hint(err error) string {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}

// HintAttr is err's operator hint as a log attribute, or nothing (an
// empty attribute slog leaves out) when err has none: no `hint=""` lines.
func HintAttr(err error) slog.Attr {
	if h := Hint(err); h != "" {
		return slog.String("hint", h)
	}
	return slog.Attr{}
}
