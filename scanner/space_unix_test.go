//go:build unix

package scanner

import (
	"testing"
	"time"
)

// TestSerialMarkInWhiteSpace: the serial source on a real pty (socat),
// the lines of spaceLines split over many reads.
func TestSerialMarkInWhiteSpace(t *testing.T) {
	good := spaceMark(t)
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev}, nil, nil)
	scans := runSerial(t, src)
	waitFor(t, "port open", func() bool { return src.Health().Up })
	lines := spaceLines(good)
	cuts := 0
	for i, l := range lines {
		stream := l.line + []string{"\r", "\n", "\r\n"}[i%3]
		for j := 0; j < len(stream); j += 3000 {
			p.write(stream[j:min(j+3000, len(stream))])
		}
		select {
		case sc := <-scans:
			checkSpaceScan(t, l, good, sc)
		case <-time.After(waitLimit):
			t.Fatalf("%s: the line never arrived", l.name)
		}
		if l.cut {
			cuts++
		}
	}
	expectNoMore(t, scans)
	if st := src.Stats(); st.CutTooLong != int64(cuts) || st.DroppedIdle != 0 {
		t.Fatalf("stats = %+v, want %d cut", st, cuts)
	}
}
