package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGrowHeapHuge: the heap range readied for an import is marked for
// huge pages (VmFlags "hg" on its mapping in /proc/self/smaps) and the
// heap stays usable. The mapping that holds the advised range is looked
// at, not a count of marked mappings: the range of an earlier import in
// this process may be reused and merged into a marked mapping.
func TestGrowHeapHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("no transparent huge pages:", err)
	}
	at := growHeapHuge(16 << 20)
	if at == 0 {
		t.Fatal("no range advised for 16 MiB")
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps:", err)
	}
	inside, flags := false, ""
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.Count(f[0], "-") == 1 && !strings.HasSuffix(f[0], ":") {
			lo, hi, _ := strings.Cut(f[0], "-")
			a, err1 := strconv.ParseUint(lo, 16, 64)
			z, err2 := strconv.ParseUint(hi, 16, 64)
			inside = err1 == nil && err2 == nil && uint64(at) >= a && uint64(at) < z
			continue
		}
		if inside && strings.HasPrefix(l, "VmFlags:") {
			flags = l
			break
		}
	}
	if !strings.Contains(flags+" ", " hg ") {
		t.Fatalf("the mapping of the advised range %#x: %q, want the hg flag", at, flags)
	}
	var keep [][]byte
	for range 64 {
		keep = append(keep, make([]byte, 256<<10))
	}
	for _, b := range keep {
		b[len(b)-1] = 1
	}
}
