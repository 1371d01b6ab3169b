//go:build unix

package qrdecode

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time since start per iteration of
// b as cpu-ms/op: on a shared machine the wall clock (ns/op) counts the
// waits for a core too. Run with GOMAXPROCS=1 for one decoder's cost.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
