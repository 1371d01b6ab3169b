package hub

import (
	"errors"
	"testing"

	"markd/mark"
)

// TestValidOfficeAsCounters: a terminal's office is taken as a counter's
// config takes it (a 6-digit postal index), so the collector's pages and
// enrolment refuse what no counter can be.
func TestValidOfficeAsCounters(t *testing.T) {
	for _, c := range []struct {
		office uint32
		ok     bool
	}{{0, false}, {42600, false}, {99999, false}, {100000, true}, {426000, true}, {999999, true}, {1000000, false}} {
		err := ValidOffice(c.office)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, mark.ErrInvalid)) {
			t.Errorf("ValidOffice(%d) = %v, want ok=%v", c.office, err, c.ok)
		}
	}
}
