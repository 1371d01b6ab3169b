package mark

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine
)

// TestStartOfDay: midnight where it exists, the instant the clocks jump
// to where they jump over it, and a day overflowing its month.
func TestStartOfDay(t *testing.T) {
	tests := []struct {
		zone    string
		y       int
		m       time.Month
		d       int
		wantUTC string
	}{
		{"Europe/Moscow", 2026, 11, 25, "2026-11-24T21:00:00Z"},
		{"America/Havana", 2026, 3, 8, "2026-03-08T05:00:00Z"}, // 00:00 CST → 01:00 CDT
		{"America/Havana", 2026, 3, 9, "2026-03-09T04:00:00Z"},
		{"Europe/Berlin", 2026, 10, 26, "2026-10-25T23:00:00Z"}, // after the 25-hour day
		{"Asia/Kathmandu", 2026, 12, 32, "2026-12-31T18:15:00Z"},
	}
	for _, tt := range tests {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := StartOfDay(tt.y, tt.m, tt.d, loc).UTC().Format(time.RFC3339); got != tt.wantUTC {
			t.Errorf("%s %d-%d-%d: %s, want %s", tt.zone, tt.y, tt.m, tt.d, got, tt.wantUTC)
		}
	}
}
