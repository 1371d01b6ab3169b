//go:build !linux

package scanner

import "errors"

// threadPin: placing a thread on given CPUs is done on Linux only.
type threadPin struct{}

func lockThread() (*threadPin, error) {
	return nil, errors.New("placing the read loop on given CPUs is supported on Linux only")
}

func (t *threadPin) set([]int) error { return nil }

func (t *threadPin) release() {}
