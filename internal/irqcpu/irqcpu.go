// Package irqcpu finds the CPUs that take a disk's completion interrupts.
//
// A scan's verdict waits for the fsync of its commit, and the fsync's
// thread is woken by the disk's completion interrupt. When that interrupt
// goes to some CPUs only (one request queue: virtio-blk, AHCI), a thread
// waiting on another CPU is woken across CPUs; on the 2-vCPU virtual
// machines markd was measured on that costs 140–280 µs a commit
// (docs/notes/perf.md, "P1, eighth stop"). The scanner sources whose
// lines arrive through a kernel worker on any CPU (a serial port's) run
// their read loop, where each scan is judged and committed, on these CPUs.
package irqcpu

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrNotFound: the disk or its interrupts could not be told from the
// system's files (another system, a container without /sys, a disk on
// the network).
var ErrNotFound = errors.New("the disk's completion interrupts could not be found")

// parseCPUList parses a kernel CPU list ("0-3,6,8-9"); "" is no CPU.
func parseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	var cpus []int
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("CPU list %q: %q is not a CPU number", s, lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

// irqLine is one interrupt of /proc/interrupts: its number and its text
// after the counts (controller, type, the handlers' names).
type irqLine struct {
	irq  int
	text string
}

// parseInterrupts reads /proc/interrupts: the numbered lines only (not
// NMI, LOC and the other per-CPU counters).
func parseInterrupts(s string) []irqLine {
	var out []irqLine
	for _, l := range strings.Split(s, "\n") {
		head, rest, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(head)
		if err != nil {
			continue
		}
		out = append(out, irqLine{irq: n, text: rest})
	}
	return out
}

// matchIRQs returns the interrupts whose handler names a device in names
// (deepest first: the first name with a match wins), leaving out
// configuration interrupts ("virtio1-config"). A name matches where it is
// not followed by a letter or digit ("virtio1" is not "virtio10").
func matchIRQs(lines []irqLine, names []string) []int {
	for _, name := range names {
		if name == "" {
			continue
		}
		var irqs []int
		for _, l := range lines {
			if strings.Contains(l.text, "config") || !containsName(l.text, name) {
				continue
			}
			irqs = append(irqs, l.irq)
		}
		if len(irqs) > 0 {
			return irqs
		}
	}
	return nil
}

func containsName(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(text) || !isAlnum(text[end]) {
			return true
		}
		i = i + j + 1
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// strictSubset returns irq ∩ allowed when that is not empty and leaves
// out some allowed CPU; nil otherwise (placing a thread there gains
// nothing).
func strictSubset(irq, allowed []int) []int {
	var in []int
	for _, c := range irq {
		if slices.Contains(allowed, c) {
			in = append(in, c)
		}
	}
	if len(in) == 0 || len(in) == len(allowed) {
		return nil
	}
	return in
}
