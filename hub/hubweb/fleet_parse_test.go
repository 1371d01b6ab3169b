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

// TestParseFleetQuery: the fleet page's office prefix, state and paging
// keys, each bad value refused naming its parameter.
func TestParseFleetQuery(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		query, err string
		lo, hi     uint32
		state      hub.FleetState
		after      string
		before     string
	}{
		{query: "", lo: 0, hi: 1<<32 - 1},
		{query: "office=42", lo: 420000, hi: 429999},
		{query: "office=426000&state=silent", lo: 426000, hi: 426000, state: hub.FleetSilent},
		{query: "office=0", lo: 0, hi: 99999},
		{query: "state=hard&after=426000:t-1.a_b", lo: 0, hi: 1<<32 - 1, state: hub.FleetHard, after: "426000:t-1.a_b"},
		{query: "before=0:none", lo: 0, hi: 1<<32 - 1, before: "0:none"},
		{query: "office=4260001", err: `office "4260001"`},
		{query: "office=42a", err: `office "42a"`},
		{query: "office=-4", err: `office "-4"`},
		{query: "state=fresh", err: `state "fresh"`},
		{query: "after=426000", err: `after "426000"`},
		{query: "after=x:t1", err: `after "x:t1"`},
		{query: "before=1:bad%20name", err: `before "1:bad name"`},
		{query: "before=%2B1:t", err: `before "+1:t"`},
		{query: "after=1:a&before=1:b", err: "after and before"},
		{query: "state=stale&state=hard", err: `parameter "state"`},
		{query: "page=2", err: `parameter "page"`},
	} {
		v, _ := url.ParseQuery(tt.query)
		q, err := parseFleetQuery(v, now, 200)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, mark.ErrInvalid) {
				t.Errorf("%s: %v, want an invalid error naming %s", tt.query, err, tt.err)
			}
			continue
		}
		key := func(k *hub.FleetKey) string {
			if k == nil {
				return ""
			}
			return k.String()
		}
		if err != nil || q.Offices.Lo != tt.lo || q.Offices.Hi != tt.hi || q.State != tt.state || key(q.After) != tt.after ||
			key(q.Before) != tt.before || q.Limit != 200 || !q.Now.Equal(now) {
			t.Errorf("%s: %+v %v", tt.query, q, err)
		}
	}
}

// FuzzParseFleetQuery: any query string is a valid query or an invalid
// error, never a panic; a valid key reads back as itself and the office
// range is ordered.
func FuzzParseFleetQuery(f *testing.F) {
	for _, s := range []string{"", "office=42&state=silent", "after=426000:t1", "before=0:x", "office=9999999", "after=:", "after=4294967296:a"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseFleetQuery(v, now, 200)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", raw, err)
			}
			return
		}
		if q.Offices.Lo > q.Offices.Hi {
			t.Fatalf("%q: office range %+v", raw, q.Offices)
		}
		for _, k := range []*hub.FleetKey{q.After, q.Before} {
			if k == nil {
				continue
			}
			back, err := hub.ParseFleetKey("k", k.String())
			if err != nil || back != *k {
				t.Fatalf("%q: key %+v reads back as %+v %v", raw, *k, back, err)
			}
		}
	})
}
