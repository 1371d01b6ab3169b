package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// procSched sums /proc/<pid>/task/*/schedstat over the process's threads:
// time on a CPU, time runnable but waiting for one, and how many times a
// thread was put on a CPU. A thread that ends between two readings takes
// its share with it (Go's runtime rarely ends one).
func procSched(pid int) (schedTotals, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return schedTotals{}, fmt.Errorf("schedstat of %d: no threads found (%v)", pid, err)
	}
	var t schedTotals
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		one, err := parseSchedstat(string(b))
		if err != nil {
			return schedTotals{}, fmt.Errorf("%s: %w", p, err)
		}
		t.cpu += one.cpu
		t.wait += one.wait
		t.slices += one.slices
	}
	return t, nil
}

// parseSchedstat reads one schedstat line: "<on-cpu ns> <waiting ns> <timeslices>".
func parseSchedstat(s string) (schedTotals, error) {
	var cpu, wait, slices int64
	if n, err := fmt.Sscan(s, &cpu, &wait, &slices); n != 3 {
		return schedTotals{}, fmt.Errorf("schedstat %q: want three numbers: %v", s, err)
	}
	if cpu < 0 || wait < 0 || slices < 0 {
		return schedTotals{}, fmt.Errorf("schedstat %q: negative", s)
	}
	return schedTotals{cpu: time.Duration(cpu), wait: time.Duration(wait), slices: slices}, nil
}
