package main

import "time"

// schedTotals is what the scheduler accounted to a process's threads
// (procSched): CPU time, time runnable but kept off a CPU, and the number
// of times a thread was put on a CPU (a wake-up or a preemption each).
type schedTotals struct {
	cpu, wait time.Duration
	slices    int64
}

// sub is t − u.
func (t schedTotals) sub(u schedTotals) schedTotals {
	return schedTotals{cpu: t.cpu - u.cpu, wait: t.wait - u.wait, slices: t.slices - u.slices}
}
