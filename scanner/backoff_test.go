package scanner

import (
	"context"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		min, max time.Duration
		want     []time.Duration
	}{
		{"defaults", 0, 0, []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms}},
		{"custom", 10 * ms, 35 * ms, []time.Duration{10 * ms, 20 * ms, 35 * ms, 35 * ms}},
		{"max below min", 300 * ms, 100 * ms, []time.Duration{300 * ms, 600 * ms, 1000 * ms, 1000 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{Min: tt.min, Max: tt.max}
			for i, w := range tt.want {
				if got := b.Next(); got != w {
					t.Fatalf("step %d = %v, want %v", i, got, w)
				}
			}
			b.Reset()
			if got := b.Next(); got != tt.want[0] {
				t.Fatalf("after Reset = %v, want %v", got, tt.want[0])
			}
		})
	}
}

func TestBackoffWaitCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := Backoff{Min: time.Hour, Max: time.Hour}
	if b.Wait(ctx) {
		t.Fatal("Wait returned true on a cancelled context")
	}
}
