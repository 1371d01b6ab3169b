package httperr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"markd/mark"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("field x: %w", mark.ErrInvalid), http.StatusBadRequest},
		{mark.ErrUnauthorized, http.StatusUnauthorized},
		{mark.ErrForbidden, http.StatusForbidden},
		{fmt.Errorf("list: %w: %w", mark.ErrInvalid, mark.ErrTooLarge), http.StatusRequestEntityTooLarge},
		{fmt.Errorf("body: %w: %w", mark.ErrInvalid, ErrMediaType), http.StatusUnsupportedMediaType},
		{fmt.Errorf("PUT: %w", ErrMethod), http.StatusMethodNotAllowed},
		{fmt.Errorf("record 1: %w", mark.ErrNotFound), http.StatusNotFound},
		{mark.ErrConflict, http.StatusConflict},
		{mark.WithHint(fmt.Errorf("store: %w", mark.ErrUnavailable), "free disk"), http.StatusServiceUnavailable},
		{errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
