package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"markd/config"
	"markd/scanner"
)

// TestPlacementFollowsInterrupts: the follower moves the placement where
// the interrupts went, and a look that fails leaves it where it was.
func TestPlacementFollowsInterrupts(t *testing.T) {
	looks := []struct {
		cpus []int
		err  error
	}{
		{cpus: []int{1}},
		{err: errors.New("no /proc/interrupts")},
		{cpus: []int{1}},
		{cpus: nil},
		{cpus: []int{0}},
	}
	place := scanner.NewPlacement([]int{1})
	var mu sync.Mutex
	seen := [][]int{} // the placement after each look
	n := 0
	f := &placementFollower{place: place, db: "x.db", every: time.Millisecond, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		cpus: func(path string) ([]int, error) {
			mu.Lock()
			defer mu.Unlock()
			if path != "x.db" {
				t.Errorf("looked up %q, want the store's path", path)
			}
			if n > 0 {
				seen = append(seen, place.CPUs())
			}
			if n >= len(looks) {
				return place.CPUs(), nil
			}
			l := looks[n]
			n++
			return l.cpus, l.err
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		k := len(seen)
		mu.Unlock()
		if k >= len(looks) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d looks in 5 s", k)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	want := [][]int{{1}, {1}, {1}, nil, {0}}
	for i := range want {
		if !slices.Equal(seen[i], want[i]) {
			t.Errorf("after look %d (%v, %v): placement %v, want %v", i+1, looks[i].cpus, looks[i].err, seen[i], want[i])
		}
	}
}

// TestPlacementOnlyForOneScanSources: sources that commit elsewhere (a
// wedge, a camera) get no placement and no follower.
func TestPlacementOnlyForOneScanSources(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := config.Config{DB: t.TempDir() + "/markd.db", Sources: []config.Source{{Kind: "wedge"}, {Kind: "camera"}}}
	if p := placement(&c, log); p != nil {
		t.Errorf("wedge and camera sources: placement %v, want none", p.CPUs())
	}
}
