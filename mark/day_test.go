package mark

import (
	"errors"
	"fmt"
	"strings"
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

// FuzzParseDay: a day from an upload's mark fields, a key file or a flag
// is refused with ErrInvalid, or reads back as the same text and within
// the two bytes of days a mark can hold.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-03-01", "2000-01-01", "2179-06-06", "2179-06-07", "1999-12-31", "2026-02-29", "2028-02-29",
		"2026-3-1", "2026-03-01T00:00:00Z", "", "+2026-03-01", "２０２６-03-01", "2026-13-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDay(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("ParseDay(%q): %v is not ErrInvalid naming the date", s, err)
			}
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("ParseDay(%q) = %s", s, got)
		}
		if !d.Time().Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(d))) {
			t.Fatalf("ParseDay(%q): day %d is not its time %v", s, d, d.Time())
		}
	})
}
