package daemon

import (
	"context"
	"log/slog"
	"time"

	"markd/internal/irqcpu"
	"markd/scanner"
)

// placementEvery is how often the daemon looks where the store disk's
// completion interrupts went: irqbalance moves them at most every 10 s.
const placementEvery = 30 * time.Second

// placementFollower keeps a Placement on the CPUs that take the store
// disk's completion interrupts as they move. A look that fails leaves the
// placement as it is (the interrupts are where they were, as far as is
// known).
type placementFollower struct {
	place *scanner.Placement
	db    string
	every time.Duration
	log   *slog.Logger
	// cpus finds the CPUs (irqcpu.CompletionCPUs by default).
	cpus func(path string) ([]int, error)
}

// Serve looks every f.every until ctx ends.
func (f *placementFollower) Serve(ctx context.Context) error {
	find := f.cpus
	if find == nil {
		find = irqcpu.CompletionCPUs
	}
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cpus, err := find(f.db)
		if err != nil {
			f.log.Debug("the store disk's completion interrupts were not found; the sources stay where they are", "err", err)
			continue
		}
		if f.place.Set(cpus) {
			f.log.Info("the store disk's completion interrupts moved; serial and stdin sources follow", "cpus", cpus)
		}
	}
}
