package hub

import (
	"errors"
	"testing"
	"time"

	"markd/mark"
)

// TestCheckAtIssueFloor: a record stamped on the day before its mark's
// issue day (a counter's REJECT NOT_YET_VALID) is a plausible scan time in
// every zone an office may keep, from UTC−12 to UTC+14: the floor is the
// first instant of that day in UTC+14, where days begin first. Before, it
// was that day's midnight in UTC, so an office east of UTC had half its
// day before the issue day refused as "the counter's clock is wrong"
// (Kamchatka, UTC+12: every scan before noon), one west of UTC (Pago
// Pago, UTC−11) none of its two days before. Earlier stamps stay refused.
func TestCheckAtIssueFloor(t *testing.T) {
	issued := mark.Day(9293) // 2025-06-11
	if issued.String() != "2025-06-11" {
		t.Fatalf("day %d is %s", issued, issued)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		at      string
		refused bool
	}{
		{"Kamchatka, 00:00 of the day before the issue day", "2025-06-10T00:00:00+12:00", false},
		{"Kamchatka, 11:00 of the day before the issue day", "2025-06-10T11:00:00+12:00", false},
		{"Kiritimati, 00:00 of the day before the issue day (the first instant anywhere)", "2025-06-10T00:00:00+14:00", false},
		{"Kiritimati, the last second of two days before", "2025-06-09T23:59:59+14:00", true},
		{"Moscow, 23:00 of the day before", "2025-06-10T23:00:00+03:00", false},
		{"Pago Pago, 23:00 of two days before, as before", "2025-06-09T23:00:00-11:00", false},
		{"UTC, a week before", "2025-06-04T12:00:00Z", true},
	}
	p := DefaultPlausibility()
	p.BeforeRegistration = 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			f := mark.Fields{Version: 1, Serial: 1, Issued: issued.String(), ValidUntil: (issued + 30).String()}
			q := &UploadRequest{Records: []Record{{ID: "r", At: at, Office: 683000, Counter: "1", Verdict: mark.Reject, Mark: &f}}}
			err = p.checkAt(q, now, time.Time{})
			if refused := err != nil; refused != tc.refused {
				t.Fatalf("at %s: refused %v (%v), want %v", tc.at, refused, err, tc.refused)
			}
			if err != nil && !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error %v is not mark.ErrInvalid", err)
			}
		})
	}
}
