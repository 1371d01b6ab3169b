package mark

import (
	"fmt"
	"time"
)

// Day is a calendar day counted from 2000-01-01 (day 0), as in the body
// fields issued and valid_until.
type Day uint16

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DayOf returns the calendar day of t in t's own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24
	if days < 0 {
		return 0
	}
	if days > 65535 {
		return 65535
	}
	return Day(days)
}

// ParseDay parses YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD: %w", s, ErrInvalid)
	}
	if t.Before(epoch) || t.After(epoch.AddDate(0, 0, 65535)) {
		return 0, fmt.Errorf("date %q is outside 2000-01-01..2179-06-06: %w", s, ErrInvalid)
	}
	return DayOf(t), nil
}

// Time returns midnight UTC of the day.
func (d Day) Time() time.Time { return epoch.AddDate(0, 0, int(d)) }

// String formats the day as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }
