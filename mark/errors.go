package mark

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers test with errors.Is.
var (
	ErrInvalid      = errors.New("invalid")      // bad input or configuration
	ErrNotFound     = errors.New("not found")    // no such record, user, key
	ErrConflict     = errors.New("conflict")     // state does not allow the action
	ErrUnavailable  = errors.New("unavailable")  // store, device or peer cannot be used now
	ErrUnauthorized = errors.New("unauthorized") // missing or wrong credentials
	ErrForbidden    = errors.New("forbidden")    // authenticated but not allowed
)

// HintError carries an operator hint beside the error: what to do about it.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return fmt.Sprintf("%v (hint: %s)", e.Err, e.Hint) }
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
