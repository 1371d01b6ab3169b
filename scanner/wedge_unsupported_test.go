package scanner

import (
	"errors"
	"testing"
)

// TestErrNoEvdevUnsupported: the evdev wedge's error where there is no
// evdev is errors.ErrUnsupported, as every platform's missing part is
// (STYLE-EXAMPLES §10), so a caller tells it from a device fault with
// errors.Is instead of by this package's own sentinel or its text.
func TestErrNoEvdevUnsupported(t *testing.T) {
	if !errors.Is(ErrNoEvdev, errors.ErrUnsupported) {
		t.Fatalf("ErrNoEvdev = %v: not errors.ErrUnsupported", ErrNoEvdev)
	}
}
