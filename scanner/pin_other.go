//go:build !linux

package scanner

import (
	"errors"
	"fmt"
)

// threadPin: placing a thread on given CPUs is done on Linux only.
type threadPin struct{}

func lockThread() (*threadPin, error) {
	return nil, fmt.Errorf("placing the read loop on given CPUs: Linux only: %w", errors.ErrUnsupported)
}

func (t *threadPin) set([]int) error { return nil }

func (t *threadPin) release() {}
