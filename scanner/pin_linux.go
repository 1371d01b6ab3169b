package scanner

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// threadPin is the calling goroutine locked to its thread, with the CPUs
// that thread had before it was placed.
type threadPin struct{ old unix.CPUSet }

// lockThread locks the calling goroutine to its thread.
func lockThread() (*threadPin, error) {
	runtime.LockOSThread()
	t := &threadPin{}
	if err := unix.SchedGetaffinity(0, &t.old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("the thread's CPUs: %w", err)
	}
	return t, nil
}

// set lets the thread run only on cpus.
func (t *threadPin) set(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("run on CPUs %v: %w", cpus, err)
	}
	return nil
}

// release gives the thread its CPUs back and unlocks it; a thread whose
// CPUs cannot be given back stays locked and ends with its goroutine.
func (t *threadPin) release() {
	if unix.SchedSetaffinity(0, &t.old) == nil {
		runtime.UnlockOSThread()
	}
}
