package httpapi

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone named here on any machine
)

// TestParseFilterSkippedMidnight: from/to as YYYY-MM-DD are the first
// instant of that day in the office's zone; where the clocks jump from
// 00:00 to 01:00 (Havana, 2026-03-08) that is 01:00 CDT, not 23:00 of the
// day before (which time.ParseInLocation gives).
func TestParseFilterSkippedMidnight(t *testing.T) {
	havana, err := time.LoadLocation("America/Havana")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFilter(map[string][]string{"from": {"2026-03-08"}, "to": {"2026-03-09"}}, havana)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.From.UTC().Format(time.RFC3339), "2026-03-08T05:00:00Z"; got != want {
		t.Errorf("from 2026-03-08: %s, want %s", got, want)
	}
	if got, want := f.To.UTC().Format(time.RFC3339), "2026-03-09T04:00:00Z"; got != want {
		t.Errorf("to 2026-03-09: %s, want %s", got, want)
	}
}
