package scanner

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"markd/mark"
)

// processCPUs returns the CPUs this process may run on.
func processCPUs(t *testing.T) []int {
	t.Helper()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	var cpus []int
	for c := 0; c < len(all)*64; c++ {
		if all.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

// testPlacement runs a source made by newSource on a Placement, feeds it
// two scans and checks the CPUs of the thread each was emitted on: at
// start, then after the placement was set again between them. feed sends
// one scan.
func testPlacement(t *testing.T, newSource func(t *testing.T, place *Placement) (serve func(context.Context, func(mark.Scan)) error, feed func())) {
	all := processCPUs(t)
	first, last := all[:1], all[len(all)-1:]
	type step struct {
		set  bool  // set the placement to cpus before the second scan
		cpus []int // the CPUs to set
	}
	for _, tt := range []struct {
		name         string
		place        *Placement
		then         step
		want1, want2 []int // the CPUs each scan's thread may use
		multi        bool  // needs two CPUs or more
	}{
		{name: "nil placement", place: nil, want1: all, want2: all},
		{name: "no CPUs", place: NewPlacement(nil), want1: all, want2: all},
		{name: "placed", place: NewPlacement(last), want1: last, want2: last},
		{name: "moved", place: NewPlacement(first), then: step{true, last}, want1: first, want2: last, multi: true},
		{name: "released", place: NewPlacement(last), then: step{true, nil}, want1: last, want2: all},
		{name: "placed later", place: NewPlacement(nil), then: step{true, first}, want1: all, want2: first},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.multi && len(all) < 2 {
				t.Skip("one CPU: nothing to move to")
			}
			serve, feed := newSource(t, tt.place)
			got := make(chan []int, 4)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- serve(ctx, func(mark.Scan) {
					var set unix.CPUSet
					_ = unix.SchedGetaffinity(0, &set)
					var cpus []int
					for c := 0; c < len(set)*64; c++ {
						if set.IsSet(c) {
							cpus = append(cpus, c)
						}
					}
					got <- cpus
				})
			}()
			defer func() { cancel(); <-done }()
			for i, want := range [][]int{tt.want1, tt.want2} {
				if i == 1 && tt.then.set {
					tt.place.Set(tt.then.cpus)
				}
				feed()
				select {
				case cpus := <-got:
					if !slices.Equal(cpus, want) {
						t.Errorf("scan %d was emitted on a thread allowed CPUs %v, want %v", i+1, cpus, want)
					}
				case <-time.After(waitLimit):
					t.Fatalf("no scan %d", i+1)
				}
			}
		})
	}
}

// TestReaderPlaced: the stdin source judges and commits each scan on a
// thread placed as its Placement says, and follows it when it moves.
func TestReaderPlaced(t *testing.T) {
	testPlacement(t, func(t *testing.T, place *Placement) (func(context.Context, func(mark.Scan)) error, func()) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close(); r.Close() })
		src := NewReader("stdin", r, nil).SetPlacement(place)
		return src.Serve, func() {
			if _, err := w.WriteString("EPM1:ONE\n"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
