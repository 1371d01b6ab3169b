//go:build !linux

package main

import "errors"

// procSched needs Linux's /proc/<pid>/task/*/schedstat.
func procSched(pid int) (schedTotals, error) {
	return schedTotals{}, errors.New("per-thread scheduler statistics need Linux")
}
