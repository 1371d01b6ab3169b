package hub

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// Freshness bounds of the fleet: a terminal not heard from for
// StaleAfter is stale, for HardStaleAfter hard-stale (the Prometheus rule
// "counter silent" fires at 4 h too).
const (
	StaleAfter     = 4 * time.Hour
	HardStaleAfter = 24 * time.Hour
	// FleetPageSize is how many terminals one fleet page shows.
	FleetPageSize = 200
)

// FleetState selects terminals by their last contact.
type FleetState string

// The fleet states a page can be filtered by. FleetSilent is every
// terminal not fresh: stale, hard-stale or never seen.
const (
	FleetAll    FleetState = ""
	FleetSilent FleetState = "silent"
	FleetStale  FleetState = "stale" // last contact 4 to 24 h ago
	FleetHard   FleetState = "hard"  // more than 24 h ago
	FleetNever  FleetState = "never"
)

// ParseFleetState checks a state from a query string.
func ParseFleetState(s string) (FleetState, error) {
	switch st := FleetState(s); st {
	case FleetAll, FleetSilent, FleetStale, FleetHard, FleetNever:
		return st, nil
	}
	return "", fmt.Errorf("state %q: use silent, stale, hard or never: %w", s, mark.ErrInvalid)
}

// OfficeRange is the offices of a region: those whose six-digit index
// starts with a prefix. Lo..Hi inclusive; the zero value is every office.
type OfficeRange struct {
	Prefix string
	Lo, Hi uint32
}

// AllOffices is the range of every office (and of terminals without one).
var AllOffices = OfficeRange{Lo: 0, Hi: math.MaxUint32}

// ParseOfficePrefix reads the first 1 to 6 digits of a postal index as the
// range of offices they start; "" is every office.
func ParseOfficePrefix(s string) (OfficeRange, error) {
	if s == "" {
		return AllOffices, nil
	}
	if len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return OfficeRange{}, fmt.Errorf("office %q: use the first 1 to 6 digits of a postal index: %w", s, mark.ErrInvalid)
	}
	p, _ := strconv.ParseUint(s, 10, 32)
	scale := uint64(math.Pow10(6 - len(s)))
	return OfficeRange{Prefix: s, Lo: uint32(p * scale), Hi: uint32((p+1)*scale - 1)}, nil
}

// FleetKey is a terminal's place in the fleet's order: office (0 = none),
// then name.
type FleetKey struct {
	Office uint32
	Name   string
}

// String is the key as the page's links carry it: OFFICE:NAME.
func (k FleetKey) String() string { return strconv.FormatUint(uint64(k.Office), 10) + ":" + k.Name }

// ParseFleetKey reads a key written by String; what names the parameter.
func ParseFleetKey(what, s string) (FleetKey, error) {
	o, name, ok := strings.Cut(s, ":")
	off, err := strconv.ParseUint(o, 10, 32)
	if !ok || err != nil || o == "" || o[0] == '+' || ValidTerminalName(name) != nil {
		return FleetKey{}, fmt.Errorf("%s %q: use OFFICE:TERMINAL as the page links give it: %w", what, s, mark.ErrInvalid)
	}
	return FleetKey{Office: uint32(off), Name: name}, nil
}

// FleetQuery selects one page of the fleet, ordered by office then name.
type FleetQuery struct {
	Offices OfficeRange
	State   FleetState
	// After reads the page after this key; Before the page before it
	// (at most one of the two); neither is the first page.
	After, Before *FleetKey
	Limit         int
	Now           time.Time // the freshness classes are relative to it
}

// StaleCut and HardCut are the last contacts at or before which a
// terminal is stale or hard-stale at q.Now.
func (q FleetQuery) StaleCut() time.Time { return q.Now.Add(-StaleAfter) }

// HardCut: see StaleCut.
func (q FleetQuery) HardCut() time.Time { return q.Now.Add(-HardStaleAfter) }

// FleetCounts are the terminals of an office range by freshness.
type FleetCounts struct {
	Total, Fresh, Stale, Hard, Never int64
}

// FleetPage is one page of the fleet.
type FleetPage struct {
	Rows []FleetRow // in (office, name) order
	// More: there are rows beyond this page in the direction it was read
	// (after the last row, or before the first for a Before query).
	More   bool
	Counts FleetCounts // of the whole office range, every state
}

// Finish makes a page of the rows a backend read: up to q.Limit+1 in the
// direction of the query (the extra row only says there is More), put
// back in (office, name) order for a Before query; and the Fresh count
// from the others.
func (p *FleetPage) Finish(q FleetQuery) {
	if len(p.Rows) > q.Limit {
		p.Rows, p.More = p.Rows[:q.Limit], true
	}
	if q.Before != nil {
		slices.Reverse(p.Rows)
	}
	c := &p.Counts
	c.Fresh = c.Total - c.Never - c.Stale - c.Hard
}

// FleetPager is the paged fleet both backends serve.
type FleetPager interface {
	FleetPage(ctx context.Context, q FleetQuery) (FleetPage, error)
}

// Freshness classes a last contact at now: "ok", "stale", "hard" or
// "never", the same bounds as FleetQuery.
func Freshness(now, seen time.Time) string {
	switch {
	case seen.IsZero():
		return "never"
	case now.Sub(seen) >= HardStaleAfter:
		return "hard"
	case now.Sub(seen) >= StaleAfter:
		return "stale"
	}
	return "ok"
}
