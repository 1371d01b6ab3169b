package scanner

import (
	"context"
	"fmt"
	"testing"
)

// TestDeviceFailingAtOnceBacksOff: a port that opens but fails its first
// read (a flaky cable, a tty that hangs up at once) is reopened after a
// growing backoff step, not at once: before, the serial source reopened
// it in a tight loop, logging "scanner connected" and "scanner gone" and
// counting a reconnect each time, as fast as the CPU allowed. Each read
// records the wait the next retry will take.
func TestDeviceFailingAtOnceBacksOff(t *testing.T) {
	var d device
	d.init("front", "serial", nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []string
	read := func(ctx context.Context, bo *Backoff) error {
		seen = append(seen, bo.next.String())
		if len(seen) == 4 {
			cancel()
		}
		return fmt.Errorf("read /dev/flaky: %w", errHungUp)
	}
	d.serve(ctx, reconnect{
		pattern: "/dev/flaky", group: "dialout", what: "scanner", key: "port",
		open: func(string) (func(context.Context, *Backoff) error, func() error, error) {
			return read, func() error { return nil }, nil
		},
	})
	want := []string{"0s", "100ms", "200ms", "400ms"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("backoff before each reopen %v, want %v (no wait between reopens)", seen, want)
	}
	if h := d.Health(); h.Up || h.Events["reconnect"] != 3 {
		t.Fatalf("health %+v, want down with 3 reconnects", h)
	}
}
