package main

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// pinCommits keeps the calling goroutine on its thread and that thread on
// cpus, as markd's serial source keeps its judging and committing thread.
func pinCommits(cpus []int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("run on CPUs %v: %w", cpus, err)
	}
	return nil
}
