package mark

import (
	"testing"
	"time"
)

// TestIssueFloor: the floor of a mark issued on 2025-06-11 is 2025-06-10
// 00:00 in UTC+14 (2025-06-09 10:00 UTC); a scan at that instant is
// plausible, one a second before it is not, in whatever zone it is written.
func TestIssueFloor(t *testing.T) {
	d, err := ParseDay("2025-06-11")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := IssueFloor(d), time.Date(2025, 6, 9, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("IssueFloor(%s) = %s, want %s", d, got, want)
	}
	tests := []struct {
		at     string
		before bool
	}{
		{"2025-06-10T00:00:00+14:00", false},
		{"2025-06-09T23:59:59+14:00", true},
		{"2025-06-09T09:59:59Z", true},
		{"2025-06-09T23:00:00-11:00", false},
		{"2025-06-11T12:00:00+03:00", false},
	}
	for _, tc := range tests {
		at, err := time.Parse(time.RFC3339, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := BeforeIssue(at, d); got != tc.before {
			t.Errorf("BeforeIssue(%s, %s) = %v, want %v", tc.at, d, got, tc.before)
		}
	}
}
