package specoracle

import (
	"testing"
	"time"

	"markd/mark"
)

// TestOracleDayStrings: every §2 day (0..65535, 2000-01-01..2179-06-06)
// is written by markd as the calendar gives it (markd verify's "mark"
// fields; 2000-02-29, 2100-02-28 then 03-01, 2028-02-29).
func TestOracleDayStrings(t *testing.T) {
	for d := 0; d <= 65535; d++ {
		if got, want := mark.Day(d).String(), oDay(d).String(); got != want {
			t.Fatalf("day %d: markd %s, calendar %s", d, got, want)
		}
	}
}

// TestOracleAcceptanceDay: the acceptance day markd reckons from an
// instant in an office's zone (mark.DayOf of the instant in the zone, as
// markd verify --at and the pipeline do) is the zone's calendar date, on
// both sides of every clock change from 2025 to 2031 in the scenes' zones
// and of every local midnight.
func TestOracleAcceptanceDay(t *testing.T) {
	end := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, sc := range scenes {
		_, loc := sc.time(t)
		check := func(at time.Time) {
			if got, want := oDay(mark.DayOf(at.In(loc))), acceptanceDay(at, loc); got != want {
				t.Fatalf("%s at %s: markd day %s, zone's date %s", sc.tz, at.Format(time.RFC3339), got, want)
			}
		}
		for at := time.Date(2025, 1, 1, 0, 0, 0, 0, loc); at.Before(end); {
			_, next := at.ZoneBounds()
			if next.IsZero() || !next.After(at) {
				break
			}
			for _, d := range []time.Duration{-time.Minute, -time.Second, 0, time.Second, time.Minute} {
				check(next.Add(d))
			}
			at = next
		}
		for day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); day.Before(end); day = day.AddDate(0, 0, 1) {
			mid := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
			for _, d := range []time.Duration{-time.Second, 0, time.Second} {
				check(mid.Add(d))
			}
		}
	}
}
