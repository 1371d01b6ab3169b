package hubweb

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// FuzzReadDayRange: the per office and day view's query (office, from,
// to) is refused with mark.ErrInvalid, or names an office hub.ValidOffice
// takes (a 6-digit postal index, as markd's config) and a
// range of 1 to MaxOfficeDays whole days, or no office at all (the form).
func FuzzReadDayRange(f *testing.F) {
	for _, s := range [][3]string{{"426000", "2026-03-01", "2026-03-07"}, {"", "", ""}, {"426000", "", ""}, {"42600", "", ""},
		{"426000", "2026-03-07", "2026-03-01"}, {"426000", "2020-01-01", "2026-01-01"}, {" 426000 ", "2026-3-1", ""},
		{"+426000", "", ""}, {"", "0001-01-01", "9999-12-31"}} {
		f.Add(s[0], s[1], s[2])
	}
	s := &Server{opt: Options{Now: func() time.Time { return time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC) }}}
	f.Fuzz(func(t *testing.T, office, from, to string) {
		q := url.Values{"office": {office}, "from": {from}, "to": {to}}
		r := httptest.NewRequest("GET", "/offices?"+q.Encode(), nil)
		d, err := s.readDayRange(r)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%s: %v is not mark.ErrInvalid", q.Encode(), err)
			}
			return
		}
		if d.Office == 0 {
			if strings.TrimSpace(office) != "" {
				t.Fatalf("%s: office %q read as none", q.Encode(), office)
			}
			return
		}
		if hub.ValidOffice(d.Office) != nil || d.From.Hour() != 0 || d.To.Hour() != 0 ||
			d.To.Before(d.From) || d.To.Sub(d.From) >= hub.MaxOfficeDays*24*time.Hour {
			t.Fatalf("%s: read %+v", q.Encode(), d)
		}
	})
}
