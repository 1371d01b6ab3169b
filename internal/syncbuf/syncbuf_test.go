package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWrites: writes from many goroutines all land, whole, and
// Take empties what it returned.
func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("line\n"))
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 800 {
		t.Fatalf("%d lines, want 800", got)
	}
	if got := len(b.Take()); got != 800*5 {
		t.Fatalf("Take returned %d bytes, want %d", got, 800*5)
	}
	if b.String() != "" || len(b.Take()) != 0 {
		t.Fatal("the buffer is not empty after Take")
	}
}
