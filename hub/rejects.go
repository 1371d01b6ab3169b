package hub

import (
	"cmp"
	"context"
	"slices"
	"time"

	"markd/mark"
)

// Reject ranking (issue 13: "which offices reject most, and why"): every
// upload adds its new records to a per office and UTC day rollup inside
// the transaction that inserts them, so ranking a region over a day range
// reads the rollup (offices × days rows), never the records.

// OfficeDayKey is one office's UTC day (YYYY-MM-DD).
type OfficeDayKey struct {
	Day    string
	Office uint32
}

// OfficeDayCounts are the counter's verdicts of an office's day: Rejected
// counts every REJECT, Overridden those of them a supervisor later
// accepted; Other the NOT_A_MARK, DUPLICATE_SCAN and ERROR scans.
type OfficeDayCounts struct {
	Accepted, Rejected, Overridden, Other int64
}

// ReasonKey is one reason of an office's day.
type ReasonKey struct {
	OfficeDayKey
	Reason mark.Reason
}

// RejectTally is what one upload adds to the rollup.
type RejectTally struct {
	Days    map[OfficeDayKey]*OfficeDayCounts
	Reasons map[ReasonKey]int64
}

func (t *RejectTally) day(office uint32, at time.Time) *OfficeDayCounts {
	if t.Days == nil {
		t.Days, t.Reasons = map[OfficeDayKey]*OfficeDayCounts{}, map[ReasonKey]int64{}
	}
	k := OfficeDayKey{Day: at.UTC().Format(time.DateOnly), Office: office}
	c := t.Days[k]
	if c == nil {
		c = &OfficeDayCounts{}
		t.Days[k] = c
	}
	return c
}

// Add counts a record newly stored.
func (t *RejectTally) Add(r *Record) {
	c := t.day(r.Office, r.At)
	switch r.Verdict {
	case mark.Accept:
		c.Accepted++
	case mark.Reject:
		c.Rejected++
		if r.Review == mark.ReviewOverridden {
			c.Overridden++
		}
		for _, why := range r.Reasons {
			t.Reasons[ReasonKey{OfficeDayKey{Day: r.At.UTC().Format(time.DateOnly), Office: r.Office}, why}]++
		}
	default:
		c.Other++
	}
}

// Override counts a stored rejection a supervisor has just overridden.
func (t *RejectTally) Override(office uint32, at time.Time) { t.day(office, at).Overridden++ }

// SortedDays are the tally's days in (day, office) order: the order every
// upload locks the rollup's rows in, so two never wait on each other
// crosswise.
func (t *RejectTally) SortedDays() []OfficeDayKey {
	keys := make([]OfficeDayKey, 0, len(t.Days))
	for k := range t.Days {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b OfficeDayKey) int { return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Office, b.Office)) })
	return keys
}

// SortedReasons are the tally's reasons in (day, office, reason) order.
func (t *RejectTally) SortedReasons() []ReasonKey {
	keys := make([]ReasonKey, 0, len(t.Reasons))
	for k := range t.Reasons {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b ReasonKey) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Office, b.Office), cmp.Compare(a.Reason, b.Reason))
	})
	return keys
}

// RejectQuery asks for the offices of a region that reject most over
// [From, To) (whole UTC days).
type RejectQuery struct {
	Offices  OfficeRange
	From, To time.Time
	// MinJudged leaves out offices with fewer accepted plus rejected
	// marks (one rejection of two is not a trend).
	MinJudged int64
	Limit     int
	// TopReasons is how many reasons each office lists, most first.
	TopReasons int
}

// OfficeRejects is one office of the ranking.
type OfficeRejects struct {
	Office uint32
	OfficeDayCounts
	Reasons []ReasonCount // most first, at most RejectQuery.TopReasons
}

// Judged is the marks the counters accepted or rejected.
func (o OfficeRejects) Judged() int64 { return o.Accepted + o.Rejected }

// Share is the rejected part of the judged marks, 0..1.
func (o OfficeRejects) Share() float64 {
	if o.Judged() == 0 {
		return 0
	}
	return float64(o.Rejected) / float64(o.Judged())
}

// RejectRanker ranks offices by reject share from the rollup.
type RejectRanker interface {
	// RejectRanking lists at most q.Limit offices by reject share, highest
	// first (then most rejections, then office), with their top reasons.
	RejectRanking(ctx context.Context, q RejectQuery) ([]OfficeRejects, error)
}

// TopReasons sorts reasons most first and keeps n.
func TopReasons(rs []ReasonCount, n int) []ReasonCount {
	slices.SortFunc(rs, func(x, y ReasonCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Reason, y.Reason))
	})
	if len(rs) > n {
		rs = rs[:n]
	}
	return rs
}
