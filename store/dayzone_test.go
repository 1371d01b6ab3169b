package store

import (
	"context"
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine

	"markd/mark"
)

// TestDayStatsSkippedMidnight: in a zone whose clocks jump from 00:00 to
// 01:00 (Havana on 2026-03-08; Santiago and Beirut do it too) the
// day starts at 01:00. DayStats once took the midnight Go names for that
// day, an hour before it on the day before, and looped without end on the
// same day (a hung day chart). Each scan counts in its own local day, also
// on a day of 25 hours (Berlin's fall back).
func TestDayStatsSkippedMidnight(t *testing.T) {
	db := rvOpen(t) // clock 2026-11-25 12:00 UTC: the days below have ended
	tests := []struct {
		zone     string
		from, to string // whole local days, to exclusive
		scans    []string
		want     map[string]int
	}{
		{"America/Havana", "2026-03-07", "2026-03-10",
			[]string{"2026-03-08T04:30:00Z", "2026-03-08T05:30:00Z", "2026-03-09T03:30:00Z", "2026-03-09T04:30:00Z"},
			map[string]int{"2026-03-07": 1, "2026-03-08": 2, "2026-03-09": 1}},
		{"Europe/Berlin", "2026-10-24", "2026-10-27",
			[]string{"2026-10-24T22:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T22:59:59Z", "2026-10-25T23:00:00Z"},
			map[string]int{"2026-10-25": 4, "2026-10-26": 1}},
	}
	for i, tt := range tests {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		for j, at := range tt.scans {
			ts, err := time.Parse(time.RFC3339, at)
			if err != nil {
				t.Fatal(err)
			}
			rvInsert(t, db, mark.Record{ID: fmt.Sprintf("z%d-%d", i, j), At: ts, Office: 426000, Counter: "A",
				Text: fmt.Sprintf("4600000%d%d", i, j), Verdict: mark.NotAMark})
		}
		day := func(s string) time.Time {
			d, err := time.ParseInLocation(time.DateOnly, s, loc)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		// A guard against the endless loop, not a timing: each round reads the store with ctx.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for round := range 2 { // counted, then from the rollup
			got, err := db.DayStats(ctx, day(tt.from), day(tt.to), loc)
			if err != nil {
				t.Fatalf("%s round %d: %v", tt.zone, round, err)
			}
			sum := map[string]int{}
			for _, c := range got {
				sum[c.Day] += c.N
			}
			if fmt.Sprint(sum) != fmt.Sprint(tt.want) {
				t.Errorf("%s round %d: per day %v, want %v", tt.zone, round, sum, tt.want)
			}
		}
		cancel()
	}
}
