package hubtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// RunFleetPageSuite holds a backend to hub.FleetPager: keyset pages in
// (office, name) order both ways, an office prefix, the state filters at
// their exact bounds, and the counts per state.
func RunFleetPageSuite(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	p, ok := s.(hub.FleetPager)
	if !ok {
		t.Fatalf("%T does not implement hub.FleetPager", s)
	}
	ctx := context.Background()
	now := t0.Add(48 * time.Hour)
	// name, office, last contact before now (-1: never)
	terms := []struct {
		name   string
		office uint32
		ago    time.Duration
	}{
		{"a-1", 426000, time.Minute},
		{"a-2", 426000, hub.StaleAfter - time.Microsecond},         // fresh by 1 µs (PostgreSQL keeps µs)
		{"a-3", 426001, hub.StaleAfter},                            // stale exactly
		{"b-1", 101000, hub.HardStaleAfter - 500*time.Millisecond}, // stale
		{"b-2", 101000, hub.HardStaleAfter},                        // hard exactly
		{"c-1", 190000, 30 * time.Hour},
		{"c-2", 190000, -1},
		{"none", 0, -1},
	}
	for _, tm := range terms {
		if err := s.AddTerminal(ctx, hub.Terminal{Name: tm.name, Office: tm.office, Created: t0}); err != nil {
			t.Fatal(err)
		}
		if tm.ago >= 0 {
			if err := s.NoteClock(ctx, tm.name, time.Second, now.Add(-tm.ago)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := Rec("rec-1", 426000, "1", mark.Accept, 1)
	r.At = t0
	ingest(t, s, "a-1", hub.UploadRequest{Records: []hub.Record{r}})
	names := func(pg hub.FleetPage) []string {
		var out []string
		for _, f := range pg.Rows {
			out = append(out, f.Name)
		}
		return out
	}
	q := hub.FleetQuery{Offices: hub.AllOffices, Limit: 3, Now: now}
	// Forward through every page, then back.
	var all []string
	var pages []hub.FleetPage
	for i := 0; ; i++ {
		pg, err := p.FleetPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, pg)
		all = append(all, names(pg)...)
		if !pg.More || i > 5 {
			break
		}
		last := pg.Rows[len(pg.Rows)-1]
		q.After = &hub.FleetKey{Office: last.Office, Name: last.Name}
	}
	want := []string{"none", "b-1", "b-2", "c-1", "c-2", "a-1", "a-2", "a-3"}
	if !slices.Equal(all, want) || len(pages) != 3 {
		t.Fatalf("pages forward: %v in %d pages, want %v in 3", all, len(pages), want)
	}
	if c := pages[0].Counts; c != (hub.FleetCounts{Total: 8, Fresh: 2, Stale: 2, Hard: 2, Never: 2}) {
		t.Errorf("counts %+v", c)
	}
	for _, f := range pages[2].Rows {
		if f.Name == "a-1" && (!f.LastRecord.Equal(t0) || f.Versions.Keyring != "k1" || f.ClockSkew != time.Second) {
			t.Errorf("a-1 row %+v, want its newest record and skew", f)
		}
	}
	back := hub.FleetQuery{Offices: hub.AllOffices, Limit: 3, Now: now, Before: &hub.FleetKey{Office: 426000, Name: "a-1"}}
	pg, err := p.FleetPage(ctx, back)
	if err != nil || !slices.Equal(names(pg), []string{"b-2", "c-1", "c-2"}) || !pg.More {
		t.Errorf("page before a-1: %v more=%v %v", names(pg), pg.More, err)
	}
	back.Before = &hub.FleetKey{Office: 101000, Name: "b-2"}
	if pg, err = p.FleetPage(ctx, back); err != nil || !slices.Equal(names(pg), []string{"none", "b-1"}) || pg.More {
		t.Errorf("first page backwards: %v more=%v %v", names(pg), pg.More, err)
	}
	for _, tt := range []struct {
		prefix string
		state  hub.FleetState
		want   []string
		total  int64
	}{
		{"426", hub.FleetAll, []string{"a-1", "a-2", "a-3"}, 3},
		{"4260", hub.FleetStale, []string{"a-3"}, 3},
		{"", hub.FleetSilent, []string{"none", "b-1", "b-2", "c-1", "c-2", "a-3"}, 8},
		{"", hub.FleetStale, []string{"b-1", "a-3"}, 8},
		{"", hub.FleetHard, []string{"b-2", "c-1"}, 8},
		{"", hub.FleetNever, []string{"none", "c-2"}, 8},
		{"1", hub.FleetNever, []string{"c-2"}, 4},
		{"0", hub.FleetAll, []string{"none"}, 1},
		{"5", hub.FleetAll, nil, 0},
	} {
		o, err := hub.ParseOfficePrefix(tt.prefix)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := p.FleetPage(ctx, hub.FleetQuery{Offices: o, State: tt.state, Limit: 10, Now: now})
		if err != nil || !slices.Equal(names(pg), tt.want) || pg.Counts.Total != tt.total || pg.More {
			t.Errorf("office %q state %q: %v total %d more=%v %v, want %v total %d", tt.prefix, tt.state, names(pg), pg.Counts.Total, pg.More, err, tt.want, tt.total)
		}
	}
}
