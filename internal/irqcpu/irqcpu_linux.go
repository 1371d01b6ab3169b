package irqcpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// root is where /sys and /proc are read from (tests give a tree of their own).
var root = "/"

// CompletionCPUs returns the CPUs that take the completion interrupts of
// the disk holding path (a file or, when it does not exist yet, its
// folder), when they are some but not all of the CPUs this process may
// run on; nil when placing a thread gains nothing: every CPU takes them,
// or the disk has a request queue per CPU (NVMe: the completion comes
// back on the CPU that asked). Err wraps ErrNotFound when the disk or its
// interrupts cannot be told.
func CompletionCPUs(path string) ([]int, error) {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return nil, fmt.Errorf("the CPUs this process may use: %w", err)
	}
	var cpus []int
	for c := 0; c < len(allowed)*64; c++ {
		if allowed.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return completionCPUs(path, cpus)
}

func completionCPUs(path string, allowed []int) ([]int, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if err2 := unix.Stat(filepath.Dir(path), &st); err2 != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	dev := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	disk, err := filepath.EvalSymlinks(filepath.Join(root, "sys/dev/block", dev))
	if err != nil {
		return nil, fmt.Errorf("%s (device %s): %w: %v", path, dev, ErrNotFound, err)
	}
	if _, err := os.Stat(filepath.Join(disk, "partition")); err == nil {
		disk = filepath.Dir(disk)
	}
	if queues, _ := filepath.Glob(filepath.Join(disk, "mq", "*")); len(queues) > 1 {
		return nil, nil // a queue per CPU or group: completions come back where they were asked
	}
	device, err := filepath.EvalSymlinks(filepath.Join(disk, "device"))
	if err != nil {
		return nil, fmt.Errorf("%s (disk %s): %w: %v", path, filepath.Base(disk), ErrNotFound, err)
	}
	var names []string // the device and its parents, deepest first
	for d := device; d != "/" && d != "." && strings.HasPrefix(d, filepath.Join(root, "sys")); d = filepath.Dir(d) {
		names = append(names, filepath.Base(d))
	}
	text, err := os.ReadFile(filepath.Join(root, "proc/interrupts"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	irqs := matchIRQs(parseInterrupts(string(text)), names)
	if len(irqs) == 0 {
		return nil, fmt.Errorf("%s (disk %s): %w: no interrupt names %s", path, filepath.Base(disk), ErrNotFound, filepath.Base(device))
	}
	var all []int
	for _, irq := range irqs {
		dir := filepath.Join(root, "proc/irq", fmt.Sprint(irq))
		b, err := os.ReadFile(filepath.Join(dir, "effective_affinity_list"))
		if err != nil {
			if b, err = os.ReadFile(filepath.Join(dir, "smp_affinity_list")); err != nil {
				return nil, fmt.Errorf("interrupt %d: %w: %v", irq, ErrNotFound, err)
			}
		}
		cpus, err := parseCPUList(string(b))
		if err != nil {
			return nil, fmt.Errorf("interrupt %d: %w", irq, err)
		}
		all = append(all, cpus...)
	}
	return strictSubset(all, allowed), nil
}
