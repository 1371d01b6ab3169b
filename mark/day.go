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

// StartOfDay returns the first instant of the calendar day y-m-d in loc
// (d may overflow the month, as in time.Date): its midnight, or, where the
// clocks jump over midnight (DST in Havana, Santiago, Beirut), the instant
// they jump to. time.Date names for a midnight that does not exist an
// instant of the day before.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	for range 2 { // at most one jump over a midnight; a guard against a broken zone
		if ty, tm, td := t.Date(); ty == wy && tm == wm && td == wd {
			break
		}
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) {
			break
		}
		t = end
	}
	return t
}

// DayBounds returns the calendar day of t in loc as [start, end): the
// first instants of that day and of the next (StartOfDay).
func DayBounds(t time.Time, loc *time.Location) (start, end time.Time) {
	y, m, d := t.In(loc).Date()
	return StartOfDay(y, m, d, loc), StartOfDay(y, m, d+1, loc)
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
func (d Day) String() string { return string(d.AppendText(make([]byte, 0, 10))) }

// AppendText appends YYYY-MM-DD to b. It is computed from the day count
// (the civil-from-days algorithm of H. Hinnant, over 400-year eras) rather
// than through time.Time: a mark's two days are written with every stored
// scan and every verdict line.
func (d Day) AppendText(b []byte) []byte {
	z := int(d) + 730425 // days since 0000-03-01 (2000-01-01 is day 730425)
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	year := yoe + era*400
	if month > 12 {
		month -= 12
		year++
	}
	return append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10))
}
