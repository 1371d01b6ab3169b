package mark

import (
	"testing"
	"time"
)

// TestDayString compares the arithmetic of Day.AppendText with time's
// calendar for every day a mark can carry.
func TestDayString(t *testing.T) {
	for d := 0; d <= 65535; d++ {
		want := epoch.AddDate(0, 0, d).Format(time.DateOnly)
		if got := Day(d).String(); got != want {
			t.Fatalf("Day(%d).String() = %q, want %q", d, got, want)
		}
		back, err := ParseDay(want)
		if err != nil || back != Day(d) {
			t.Fatalf("ParseDay(%q) = %d, %v; want %d", want, back, err, d)
		}
	}
}

func BenchmarkDayString(b *testing.B) {
	for b.Loop() {
		_ = Day(9825).String()
	}
}
