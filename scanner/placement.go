package scanner

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
)

// Placement is where the read loops of the one-scan sources (serial,
// stdin) run: the CPUs that take the store disk's completion interrupts,
// so that a scan's commit is woken on the CPU it waits on. A thread
// waiting on another CPU is woken across vCPUs, 140–280 µs more on a
// virtual machine, which set the tail of P1 (docs/notes/perf.md,
// "P1, eighth stop" and "fourteenth stop"). The daemon sets it at start
// and again when the interrupts move (irqbalance); a loop follows at its
// next scan. A nil Placement, or one without CPUs, places nothing.
type Placement struct {
	mu   sync.Mutex
	cpus []int
	gen  atomic.Uint64
}

// NewPlacement returns a placement on cpus (none: any CPU).
func NewPlacement(cpus []int) *Placement {
	return &Placement{cpus: slices.Clone(cpus)}
}

// Set moves the placement to cpus (none: any CPU); it reports whether
// that is a change. Loops follow at their next scan.
func (p *Placement) Set(cpus []int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slices.Equal(p.cpus, cpus) {
		return false
	}
	p.cpus = slices.Clone(cpus)
	p.gen.Add(1)
	return true
}

// CPUs returns the CPUs of the placement (nil: any).
func (p *Placement) CPUs() []int {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.cpus)
}

// placed is one read loop's thread on a Placement. enter, follow and
// leave are called on the loop's goroutine only.
type placed struct {
	p    *Placement
	log  *slog.Logger
	gen  uint64
	pin  *threadPin // nil: not locked (no CPUs yet, or placing failed)
	fail bool       // placing failed once: the loop runs anywhere from then on
}

// enter places the calling goroutine's thread (p may be nil).
func (p *Placement) enter(log *slog.Logger) *placed {
	t := &placed{p: p, log: log}
	if p != nil {
		t.gen = p.gen.Load()
		t.place(p.CPUs())
	}
	return t
}

// follow moves the thread when the placement changed since the last look:
// one atomic load a scan otherwise.
func (t *placed) follow() {
	if t.p == nil || t.fail {
		return
	}
	if g := t.p.gen.Load(); g != t.gen {
		t.gen = g
		t.place(t.p.CPUs())
	}
}

func (t *placed) place(cpus []int) {
	if len(cpus) == 0 {
		t.leave()
		return
	}
	if t.pin == nil {
		pin, err := lockThread()
		if err != nil {
			t.fail = true
			t.logf("the read loop runs on any CPU", err)
			return
		}
		t.pin = pin
	}
	if err := t.pin.set(cpus); err != nil {
		t.fail = true
		t.leave()
		t.logf("the read loop runs on any CPU", err)
	}
}

// leave gives the thread its CPUs back and unlocks it.
func (t *placed) leave() {
	if t.pin != nil {
		t.pin.release()
		t.pin = nil
	}
}

func (t *placed) logf(msg string, err error) {
	if t.log != nil {
		t.log.Debug(msg, "err", err)
	}
}
