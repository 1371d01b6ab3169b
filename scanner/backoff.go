package scanner

import (
	"context"
	"time"
)

// Reconnect timing of the device sources. The cap keeps a replugged device
// read again within 2 s: at most one capped wait plus the open itself.
const (
	BackoffMin = 50 * time.Millisecond
	BackoffMax = time.Second
)

// Backoff doubles a wait from Min up to Max. The zero value uses
// BackoffMin and BackoffMax. It is deterministic (no jitter): one counter
// retries one local device, there is no herd to spread.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next returns the wait before the next attempt and doubles the one after.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = BackoffMin
	}
	if hi < lo {
		hi = max(BackoffMax, lo)
	}
	if b.next < lo {
		b.next = lo
	}
	d := b.next
	b.next = min(b.next*2, hi)
	return d
}

// Reset starts again from Min after a successful attempt.
func (b *Backoff) Reset() { b.next = 0 }

// Wait sleeps for the next backoff step; it returns false when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) bool {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Stats are the counters a device source keeps for the metrics endpoint
// (the daemon reads them through an interface{ Stats() scanner.Stats }).
type Stats struct {
	Reconnects  int64 // device opened again after it went away
	CutTooLong  int64 // lines over MaxLine passed on cut (stored as NOT_A_MARK)
	DroppedIdle int64 // partial lines dropped after Idle without terminator
	UnknownKeys int64 // wedge: key presses with no character (ignored)
	DroppedLost int64 // wedge: codes dropped because the kernel lost key events
	// FramesDropped (camera) are frames replaced by a newer one before the
	// decoder took them: the decoder is slower than the camera's rate.
	FramesDropped int64
}

// events names the counters a source of kind can have, for its health
// (mark.SourceHealth.Events).
func (s Stats) events(kind string) map[string]int64 {
	ev := map[string]int64{"reconnect": s.Reconnects}
	if kind == "camera" {
		ev["frame_dropped"] = s.FramesDropped
		return ev
	}
	ev["line_cut"], ev["partial_dropped"] = s.CutTooLong, s.DroppedIdle
	if kind == "wedge" {
		ev["unknown_key"], ev["code_lost"] = s.UnknownKeys, s.DroppedLost
	}
	return ev
}
