package scanner

import (
	"slices"
	"testing"
)

// TestPlacementSet: Set reports a change only when the CPUs differ, and
// CPUs returns a copy.
func TestPlacementSet(t *testing.T) {
	var none *Placement
	if none.CPUs() != nil {
		t.Error("a nil placement has CPUs")
	}
	in := []int{1}
	p := NewPlacement(in)
	in[0] = 7
	for i, tt := range []struct {
		cpus    []int
		changed bool
	}{
		{[]int{1}, false},
		{[]int{0, 1}, true},
		{[]int{0, 1}, false},
		{nil, true},
		{[]int{}, false},
		{[]int{1}, true},
	} {
		if got := p.Set(tt.cpus); got != tt.changed {
			t.Errorf("step %d: Set(%v) changed = %v, want %v", i, tt.cpus, got, tt.changed)
		}
		if got := p.CPUs(); !slices.Equal(got, tt.cpus) {
			t.Errorf("step %d: CPUs() = %v, want %v", i, got, tt.cpus)
		}
	}
	got := p.CPUs()
	got[0] = 9
	if p.CPUs()[0] != 1 {
		t.Error("CPUs() shares its slice with the placement")
	}
}
