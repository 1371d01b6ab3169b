package hubweb

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// TestParseRejectQuery: the ranking's region, inclusive day range and
// minimum, defaults and each bad value named.
func TestParseRejectQuery(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct {
		query, err string
		lo, hi     uint32
		from, to   string // to: the day after the last
		min        int64
	}{
		{query: "", lo: 0, hi: 1<<32 - 1, from: "2026-11-19", to: "2026-11-26", min: 20},
		{query: "office=42&from=2026-11-01&to=2026-11-30&min=0", lo: 420000, hi: 429999, from: "2026-11-01", to: "2026-12-01", min: 0},
		{query: "office=101000&to=2026-11-19&from=2026-11-19&min=1000000000", lo: 101000, hi: 101000, from: "2026-11-19", to: "2026-11-20", min: 1000000000},
		{query: "office=1234567", err: `office "1234567"`},
		{query: "office=x", err: `office "x"`},
		{query: "from=2026-11-31", err: `from "2026-11-31"`},
		{query: "to=25.11.2026", err: `to "25.11.2026"`},
		{query: "from=2026-11-26&to=2026-11-25", err: "the end must be after the start"},
		{query: "from=2025-01-01&to=2026-11-25", err: "at most 366 days"},
		{query: "min=-1", err: `min "-1"`},
		{query: "min=1e3", err: `min "1e3"`},
		{query: "min=1000000001", err: `min "1000000001"`},
		{query: "min=1&min=2", err: `parameter "min"`},
		{query: "top=5", err: `parameter "top"`},
	} {
		v, _ := url.ParseQuery(tt.query)
		f, err := parseRejectQuery(v, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, mark.ErrInvalid) {
				t.Errorf("%s: %v, want an invalid error naming %s", tt.query, err, tt.err)
			}
			continue
		}
		q := f.Query
		if err != nil || q.Offices.Lo != tt.lo || q.Offices.Hi != tt.hi || !q.From.Equal(day(tt.from)) || !q.To.Equal(day(tt.to)) ||
			q.MinJudged != tt.min || q.Limit != rejectsShown || q.TopReasons != 3 {
			t.Errorf("%s: %+v %v", tt.query, q, err)
		}
	}
}

// FuzzParseRejectQuery: any query is a valid ranking query or an invalid
// error naming a parameter, never a panic; a valid one has an ordered
// range of at most MaxOfficeDays.
func FuzzParseRejectQuery(f *testing.F) {
	for _, s := range []string{"", "office=42&from=2026-11-01&to=2026-11-30&min=0", "min=-1", "from=2026-02-30", "office=&min="} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		form, err := parseRejectQuery(v, now)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", raw, err)
			}
			return
		}
		q := form.Query
		if !q.To.After(q.From) || q.To.Sub(q.From) > hub.MaxOfficeDays*24*time.Hour || q.Offices.Lo > q.Offices.Hi || q.MinJudged < 0 {
			t.Fatalf("%q: %+v", raw, q)
		}
	})
}

// TestShareText: the share as the page and the CSV write it.
func TestShareText(t *testing.T) {
	for _, tt := range []struct {
		acc, rej int64
		want     string
	}{{0, 0, "0.0"}, {1, 3, "75.0"}, {2, 1, "33.3"}, {0, 5, "100.0"}} {
		o := hub.OfficeRejects{OfficeDayCounts: hub.OfficeDayCounts{Accepted: tt.acc, Rejected: tt.rej}}
		if got := shareText(o); got != tt.want {
			t.Errorf("%d/%d: %s, want %s", tt.rej, tt.acc+tt.rej, got, tt.want)
		}
	}
}
