package loginlimit

import (
	"fmt"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newFails() (*Fails, *clock) {
	c := &clock{t: time.Date(2027, 3, 14, 9, 0, 0, 0, time.UTC)}
	return New(c.now), c
}

func TestTakeAllowRelease(t *testing.T) {
	tests := []struct {
		name  string
		steps func(f *Fails, c *clock) (bool, time.Duration)
		ok    bool
		wait  time.Duration
	}{
		{"under the limit", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 3)
			f.Take("k", 3)
			return f.Allow("k", 3)
		}, true, 0},
		{"at the limit: the wait is until the oldest failure leaves the window", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 2)
			c.t = c.t.Add(10 * time.Second)
			f.Take("k", 2)
			c.t = c.t.Add(5 * time.Second)
			ok, wait, _ := f.Take("k", 2)
			return ok, wait
		}, false, 45 * time.Second},
		{"a failure a window old no longer counts", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 1)
			c.t = c.t.Add(Window)
			return f.Allow("k", 1)
		}, true, 0},
		{"a failure just under a window old counts", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 1)
			c.t = c.t.Add(Window - time.Nanosecond)
			return f.Allow("k", 1)
		}, false, time.Nanosecond},
		{"a released attempt is given back", func(f *Fails, c *clock) (bool, time.Duration) {
			_, _, at := f.Take("k", 1)
			f.Release("k", at)
			return f.Allow("k", 1)
		}, true, 0},
		{"reset forgets the key", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 1)
			f.Reset("k")
			return f.Allow("k", 1)
		}, true, 0},
		{"keys count apart", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("a", 1)
			return f.Allow("b", 1)
		}, true, 0},
		{"a refused take counts nothing", func(f *Fails, c *clock) (bool, time.Duration) {
			f.Take("k", 1)
			for range 5 {
				f.Take("k", 1)
			}
			c.t = c.t.Add(Window)
			return f.Allow("k", 1)
		}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFails()
			ok, wait := tt.steps(f, c)
			if ok != tt.ok || wait != tt.wait {
				t.Fatalf("ok %v wait %v, want %v %v", ok, wait, tt.ok, tt.wait)
			}
		})
	}
}

func TestTellOnce(t *testing.T) {
	f, c := newFails()
	for i, want := range []bool{true, false, false} {
		if got := f.TellOnce("k"); got != want {
			t.Fatalf("call %d: %v, want %v", i, got, want)
		}
		c.t = c.t.Add(20 * time.Second)
	}
	if !f.TellOnce("k") { // 60 s after the first
		t.Fatal("told again a window later: false")
	}
	if !f.TellOnce("other") {
		t.Fatal("another key: false")
	}
}

// TestSprayBounded: past maxKeys keys a new failure drops the keys whose
// failures are a window old.
func TestSprayBounded(t *testing.T) {
	f, c := newFails()
	for i := range maxKeys + 1 {
		f.Take(fmt.Sprint("old", i), 1)
	}
	c.t = c.t.Add(Window)
	f.Take("new", 1)
	if n := len(f.fails); n != 1 {
		t.Fatalf("%d keys kept, want 1", n)
	}
}
