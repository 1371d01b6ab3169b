//go:build unix

package scanner

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func runScale(t *testing.T, s *Scale) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return after cancel")
		}
	})
}

// TestScaleOverPty plays a scale on a socat pseudo-terminal: unstable
// readings are ignored, the last stable one is kept with its time, it is
// forgotten by Weight after MaxAge, and the scale is read again after an
// unplug.
func TestScaleOverPty(t *testing.T) {
	p := newPtyPair(t)
	clk := &clock{t: testdata.Now()}
	s, err := NewScale("scale", ScaleConfig{Port: p.Dev, MaxAge: 10 * time.Second}, nil, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	runScale(t, s)
	waitFor(t, "port open", func() bool { return s.Health().Up })
	if _, _, ok := s.Last(); ok || s.Weight() != 0 {
		t.Fatal("a weight before the scale sent one")
	}

	p.write("US,GS,   0.010kg\r\nUS,GS,   0.019kg\r\n")
	p.write("ST,GS,   0.020kg\r\n")
	waitFor(t, "stable weight", func() bool { g, _, ok := s.Last(); return ok && g == 20 })
	if _, at, _ := s.Last(); !at.Equal(clk.now()) {
		t.Errorf("read at %v, want %v", at, clk.now())
	}
	if s.Weight() != 20 {
		t.Errorf("Weight = %d, want 20", s.Weight())
	}
	p.write("US,GS,   0.300kg\r\n") // a heavier item being put on: not yet stable
	p.write("ST,GS,   0.480kg\r\n")
	waitFor(t, "next stable weight", func() bool { g, _, _ := s.Last(); return g == 480 })
	clk.add(11 * time.Second)
	if g := s.Weight(); g != 0 {
		t.Errorf("Weight after MaxAge = %d, want 0 (unknown)", g)
	}
	if g, _, ok := s.Last(); !ok || g != 480 {
		t.Errorf("Last after MaxAge = %d, %v; want 480 kept", g, ok)
	}

	p.kill(syscall.SIGKILL)
	waitFor(t, "unplug noticed", func() bool { return !s.Health().Up })
	if d := s.Health().Detail; d != DetailUnplugged {
		t.Errorf("detail while unplugged = %q", d)
	}
	p.start()
	// A line over 256 bytes (the framer passes it on cut) is no reading,
	// even when its start looks like one.
	p.write("ST,GS,   0.900kg" + strings.Repeat(" ", 300) + "\r\n")
	p.write("ST,GS,   1.250kg\r\n")
	waitFor(t, "weight after replug", func() bool { g, _, _ := s.Last(); return g == 1250 })
	waitFor(t, "health up", func() bool { return s.Health().Up })
	if h := s.Health(); h.Kind != "scale" || h.Scans != 3 {
		t.Errorf("health %+v, want kind scale, 3 readings", h)
	}
	if got := s.Stats().Reconnects; got != 1 {
		t.Errorf("Reconnects = %d, want 1", got)
	}
}

// TestScaleMissingPortRetries: a scale that is not plugged in is reported
// in plain words and does not stop Serve.
func TestScaleMissingPortRetries(t *testing.T) {
	dir, err := os.MkdirTemp("", "markd-scale-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := NewScale("scale", ScaleConfig{Port: dir + "/none"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runScale(t, s)
	waitFor(t, "not plugged in", func() bool { return s.Health().Detail == dir+"/none: not plugged in (no such device), retrying" })
	if s.Weight() != 0 {
		t.Error("weight without a scale")
	}
}

// TestProbeScale: what markd doctor reports of a scale.
func TestProbeScale(t *testing.T) {
	p := newPtyPair(t)
	ctx := context.Background()
	// nothing sent: open, no line
	pr, err := ProbeScale(ctx, ScaleConfig{Port: p.Dev}, 300*time.Millisecond)
	if err != nil || pr.Lines != 0 || pr.Matched || pr.Path != p.Dev {
		t.Fatalf("silent scale: %+v %v", pr, err)
	}
	// lines that the pattern does not read, then one it does
	p.write("US,GS,   0.100kg\r\nST,GS,   0.100 lb\r\n")
	pr, err = ProbeScale(ctx, ScaleConfig{Port: p.Dev, Pattern: `^ST,GS,\s*([0-9.]+)`}, 2*time.Second)
	if err != nil || pr.Lines != 2 || pr.Matched || !errors.Is(pr.Err, ErrScaleUnit) || pr.Last != "ST,GS,   0.100 lb" {
		t.Fatalf("unreadable lines: %+v %v", pr, err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		p.peer.Write([]byte("ST,GS,   0.125kg\r\n"))
	}()
	pr, err = ProbeScale(ctx, ScaleConfig{Port: p.Dev}, waitLimit)
	if err != nil || !pr.Matched || pr.Grams != 125 {
		t.Fatalf("stable weight: %+v %v", pr, err)
	}
	if _, err := ProbeScale(ctx, ScaleConfig{Port: p.Dev + "-none"}, time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing port: %v", err)
	}
}
