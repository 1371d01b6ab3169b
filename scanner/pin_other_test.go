//go:build !linux

package scanner

import (
	"errors"
	"testing"
)

// TestLockThreadUnsupported: off Linux, placing a read loop's thread says
// so as errors.ErrUnsupported, not as a fault.
func TestLockThreadUnsupported(t *testing.T) {
	if _, err := lockThread(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("lockThread() = %v, want errors.ErrUnsupported", err)
	}
}
