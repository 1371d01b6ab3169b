package main

import (
	"os"
	"strings"
	"testing"
)

// TestGrowHeapHuge: the heap range readied for an import is marked for
// huge pages (VmFlags "hg" in /proc/self/smaps) and the heap stays usable.
func TestGrowHeapHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages:", err)
	}
	hg := func() int {
		b, err := os.ReadFile("/proc/self/smaps")
		if err != nil {
			t.Skip("no /proc/self/smaps:", err)
		}
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmFlags:") && strings.Contains(l+" ", " hg ") {
				n++
			}
		}
		return n
	}
	before := hg()
	growHeapHuge(16 << 20)
	if after := hg(); after <= before {
		t.Fatalf("mappings marked for huge pages: %d before, %d after", before, after)
	}
	var keep [][]byte
	for range 64 {
		keep = append(keep, make([]byte, 256<<10))
	}
	for _, b := range keep {
		b[len(b)-1] = 1
	}
}
