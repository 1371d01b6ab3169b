package tokenbucket

import (
	"testing"
	"time"
)

// TestTake: a key takes its burst at once, then is refused with the wait
// for its next token; refusals are to be logged the first time and then
// once a minute; keys have their own buckets; rate 0 and a nil Set take
// everything; past maxIdle keys the full buckets are dropped.
func TestTake(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New(2, 3, clock, 0)
	for i := range 3 {
		if ok, _, _ := s.Take("a"); !ok {
			t.Fatalf("take %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait, log := s.Take("a")
	if ok || wait != 500*time.Millisecond || log != 1 {
		t.Fatalf("4th take: %v, wait %v, log %d; want refused, 500ms, 1", ok, wait, log)
	}
	if ok, _, log := s.Take("a"); ok || log != 0 {
		t.Fatalf("5th take: %v, log %d; want refused, nothing to log", ok, log)
	}
	if ok, _, _ := s.Take("b"); !ok {
		t.Fatal("another key refused")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _, _ := s.Take("a"); !ok {
		t.Fatal("refused after its next token came")
	}
	now = now.Add(time.Minute)
	for range 3 {
		s.Take("a")
	}
	if ok, _, log := s.Take("a"); ok || log != 2 {
		t.Fatalf("a minute later: %v, log %d; want refused, the 2 refusals since to log", ok, log)
	}
	var none *Set
	if ok, _, _ := none.Take("x"); !ok {
		t.Error("a nil Set refused")
	}
	if ok, _, _ := New(0, 1, clock, 0).Take("x"); !ok {
		t.Error("rate 0 refused")
	}
	idle := New(1, 1, clock, 2)
	idle.Take("p")
	idle.Take("q")
	now = now.Add(time.Hour)
	idle.Take("r")
	if n := idle.Keys(); n != 1 {
		t.Errorf("%d keys after a third past maxIdle 2 with the others full again, want 1", n)
	}
}
