package hub

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"markd/mark"
)

// MaxOfficeDays is the longest range of the per office and day view.
const MaxOfficeDays = 366

// OfficeDayGroup is one group of an office's records of one UTC day, as
// both backends return them from the (office, at) index: records of one
// verdict, review state, reasons, collector check and contract.
type OfficeDayGroup struct {
	Day        string // YYYY-MM-DD (UTC, of the scan)
	Verdict    mark.Verdict
	Review     mark.ReviewState
	Reasons    []mark.Reason
	Unverified bool   // the collector could not verify the mark
	Contract   uint32 // of the mark; 0 = no decoded mark
	Count      int64
	TariffKop  int64 // sum of the marks' tariffs
}

// OfficeDays is what the per office and day view reads.
type OfficeDays interface {
	// OfficeDays calls fn for each group of the records of office scanned
	// in [from, to) (whole UTC days), in day order; an fn error stops it.
	OfficeDays(ctx context.Context, office uint32, from, to time.Time, fn func(OfficeDayGroup) error) error
}

// OfficeDay is one office's day: the counters' verdicts, the rejections
// by reason, and per contract the items accepted and the tariffs paid
// (the customer's invoice check).
type OfficeDay struct {
	Day string
	// Accepted counts ACCEPT verdicts and rejections a supervisor
	// overrode to accept (Overridden of them); Rejected the REJECT
	// verdicts that stand; Other the NOT_A_MARK, DUPLICATE_SCAN and ERROR
	// scans.
	Accepted, Overridden, Rejected, Other int64
	Reasons                               []ReasonCount // of the rejections that stand, most first
	Contracts                             []ContractItems
}

// ReasonCount is how many rejections gave one reason.
type ReasonCount struct {
	Reason mark.Reason
	Count  int64
}

// ContractItems is what was accepted for one contract on one day.
type ContractItems struct {
	Contract uint32
	Items    int64 // accepted items with a mark of the contract
	PaidKop  int64 // their tariffs
	// Unverified of the Items: marks the collector could not verify
	// (counted, but to be checked before invoicing).
	Unverified int64
}

// FormDay reads a YYYY-MM-DD form value as the start of that UTC day;
// what names the field in the error.
func FormDay(what, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: use a date YYYY-MM-DD: %w", what, s, mark.ErrInvalid)
	}
	return t, nil
}

// CheckDayRange checks a [from, to) range of whole days for OfficeDays.
func CheckDayRange(from, to time.Time) error {
	if !to.After(from) {
		return fmt.Errorf("date range %s..%s: the end must be after the start: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), mark.ErrInvalid)
	}
	if to.Sub(from) > MaxOfficeDays*24*time.Hour {
		return fmt.Errorf("date range %s..%s: at most %d days: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), MaxOfficeDays, mark.ErrInvalid)
	}
	return nil
}

// DayAdder sums the groups of OfficeDays into days, handing each day to
// Emit once its groups are all in (they come in day order), so a long
// range streams.
type DayAdder struct {
	Emit func(OfficeDay) error
	cur  *OfficeDay
	why  map[mark.Reason]int64
	per  map[uint32]*ContractItems
}

// Add adds one group.
func (a *DayAdder) Add(g OfficeDayGroup) error {
	if a.cur != nil && a.cur.Day != g.Day {
		if err := a.Flush(); err != nil {
			return err
		}
	}
	if a.cur == nil {
		a.cur, a.why, a.per = &OfficeDay{Day: g.Day}, map[mark.Reason]int64{}, map[uint32]*ContractItems{}
	}
	d := a.cur
	accepted := g.Verdict == mark.Accept || (g.Verdict == mark.Reject && g.Review == mark.ReviewOverridden)
	switch {
	case accepted:
		d.Accepted += g.Count
		if g.Verdict != mark.Accept {
			d.Overridden += g.Count
		}
		if g.Contract != 0 {
			c := a.per[g.Contract]
			if c == nil {
				c = &ContractItems{Contract: g.Contract}
				a.per[g.Contract] = c
			}
			c.Items += g.Count
			c.PaidKop += g.TariffKop
			if g.Unverified {
				c.Unverified += g.Count
			}
		}
	case g.Verdict == mark.Reject:
		d.Rejected += g.Count
		for _, r := range g.Reasons {
			a.why[r] += g.Count
		}
	default:
		d.Other += g.Count
	}
	return nil
}

// Flush hands the day being summed to Emit; call it after the last group.
func (a *DayAdder) Flush() error {
	if a.cur == nil {
		return nil
	}
	d := a.cur
	for r, n := range a.why {
		d.Reasons = append(d.Reasons, ReasonCount{Reason: r, Count: n})
	}
	slices.SortFunc(d.Reasons, func(x, y ReasonCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Reason, y.Reason))
	})
	for _, c := range a.per {
		d.Contracts = append(d.Contracts, *c)
	}
	slices.SortFunc(d.Contracts, func(x, y ContractItems) int { return cmp.Compare(x.Contract, y.Contract) })
	a.cur = nil
	return a.Emit(*d)
}
