package hub

import (
	"fmt"
	"testing"
	"time"
)

// TestAuthGuardBounded: a flood of distinct unknown tokens from distinct
// addresses grows neither the negative cache nor the address buckets past
// their bounds, and the addresses past maxAuthAddrs share one bucket, so
// their failed lookups are still bounded (fail closed).
func TestAuthGuardBounded(t *testing.T) {
	at := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	g := newAuthGuard(5, func() time.Time { return at })
	const n = 3 * maxAuthAddrs
	lookups := 0
	for i := range n {
		host, hash := fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), fmt.Sprintf("hash-%d", i)
		if cached, wait := g.admit(host, hash); cached || wait > 0 {
			continue
		}
		lookups++
		g.failed(host, hash)
	}
	if len(g.unknown) > maxUnknown || len(g.addrs) > maxAuthAddrs {
		t.Errorf("after %d distinct tokens from distinct addresses: %d cached, %d addresses; want at most %d and %d",
			n, len(g.unknown), len(g.addrs), maxUnknown, maxAuthAddrs)
	}
	// Each of the first maxAuthAddrs addresses fails once, the rest share
	// one bucket of 5.
	if want := maxAuthAddrs + 5; lookups != want {
		t.Errorf("%d lookups, want %d", lookups, want)
	}
	// A minute later the full buckets are dropped for new addresses.
	at = at.Add(time.Minute)
	if cached, wait := g.admit("192.0.2.1", "hash-new"); cached || wait > 0 {
		t.Errorf("a new address a minute later: cached %v wait %v; want a lookup", cached, wait)
	}
	if len(g.addrs) > 2 {
		t.Errorf("a minute later: %d address buckets kept, want the full ones dropped", len(g.addrs))
	}
}
