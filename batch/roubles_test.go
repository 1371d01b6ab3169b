package batch

import (
	"math"
	"testing"
)

// TestRoubles: kopecks as the pages show them (the batch panel's totals
// and, since the fold, the operator's and supervisor's scan views' tariff):
// thousands grouped with a no-break space, a decimal comma, the sign.
func TestRoubles(t *testing.T) {
	for _, tt := range []struct {
		kop  int64
		want string
	}{
		{0, "0,00 ₽"},
		{5, "0,05 ₽"},
		{10500, "105,00 ₽"},
		{105000, "1\u00a0050,00 ₽"},
		{100000000, "1\u00a0000\u00a0000,00 ₽"},
		{math.MaxUint32, "42\u00a0949\u00a0672,95 ₽"}, // the largest tariff a mark carries
		{-123456, "-1\u00a0234,56 ₽"},
	} {
		if got := Roubles(tt.kop); got != tt.want {
			t.Errorf("Roubles(%d) = %q, want %q", tt.kop, got, tt.want)
		}
	}
}
