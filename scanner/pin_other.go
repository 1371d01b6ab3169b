//go:build !linux

package scanner

import "errors"

// pinThread: placing a thread on given CPUs is done on Linux only.
func pinThread(cpus []int) (restore func(), err error) {
	return nil, errors.New("placing the read loop on given CPUs is supported on Linux only")
}
