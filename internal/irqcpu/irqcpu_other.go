//go:build !linux

package irqcpu

import "fmt"

// CompletionCPUs: see irqcpu_linux.go; elsewhere the interrupts are not
// looked for.
func CompletionCPUs(path string) ([]int, error) {
	return nil, fmt.Errorf("%s: %w on this system", path, ErrNotFound)
}
