package hub

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"markd/bundle"
	"markd/mark"
	"markd/verify"
)

// ReasonScannedAfterReceipt is the dispute reason of an ACCEPT whose scan
// time is later than the collector received it (plus the allowance,
// Plausibility.ReceiptSkew): the counter's clock, which dates the
// verdict, is wrong, or the record was made up. MARK-FORMAT has no code
// for it (the other dispute reasons are its §7 codes).
const ReasonScannedAfterReceipt mark.Reason = "SCANNED_AFTER_RECEIPT"

// Offsets of the earliest and latest zones an office may keep its day in
// (UTC−12 … UTC+14). Where the collector does not know an office's time
// zone (MARK-FORMAT §2: "dates are calendar days in the acceptance
// office's local time zone"; OfficeZones), a date reason holds only when
// it holds in every zone: a counter judging in its own zone is never
// disputed for its date, at the price of up to a day's slack each way.
const (
	earliestZone = -12 * time.Hour
	latestZone   = mark.LatestZone
)

// JudgeBy is what Checker.Judge judges an upload's ACCEPTs by besides
// their signed marks and the published lists.
type JudgeBy struct {
	// Received is when the collector received the upload.
	Received time.Time
	// Skew is how far after Received an ACCEPT may be stamped before it
	// is disputed (ReasonScannedAfterReceipt); 0 turns that check off.
	Skew time.Duration
	// Zones are the offices' time zones the dates are judged in; an
	// office whose zone it does not know (nil: none) is judged in every
	// zone. No skew applies to the dates: the counter dated its verdict
	// by the very scan time it uploaded (pipeline: the day of at in its
	// tz), so a counter in its office's zone agrees to the instant
	// however wrong its clock, and one that does not keeps a wrong tz.
	Zones *OfficeZones
}

// judgeOrder is the order of the dispute reasons: §7 step 3 and 4 (the
// order verify reports them in), then the collector's own.
var judgeOrder = []mark.Reason{
	mark.ReasonUnknownKey, mark.ReasonBadSignature,
	mark.ReasonKeyNotValid, mark.ReasonKeyRevoked, mark.ReasonNotYetValid, mark.ReasonExpired,
	mark.ReasonWrongOffice, mark.ReasonUnknownClass, mark.ReasonOverweight, mark.ReasonUnderpaid,
	mark.ReasonMissingTracking, mark.ReasonBadTracking, mark.ReasonMalformed, mark.ReasonRevoked,
	ReasonScannedAfterReceipt,
}

// listsOf parses the lists of a stored bundle into one verifier.
func listsOf(b StoredBundle) (*verify.Verifier, error) {
	c, err := bundle.Read(b.Data)
	if err != nil {
		return nil, fmt.Errorf("stored bundle %d: %w", b.Version, err)
	}
	return verify.FromBundle(c)
}

// judgeLists is what Judge judges under: the published bundles' lists,
// newest first, and by the versions they name.
type judgeLists struct {
	all        []*verify.Verifier
	byVersions map[mark.Versions]*verify.Verifier
}

func (c *Checker) lists() judgeLists {
	c.mu.Lock()
	defer c.mu.Unlock()
	return judgeLists{all: c.judging, byVersions: c.byVersions}
}

// unknownAgain is how long Judge goes without reading the bundles again
// for versions a record named and no bundle had (a counter on lists of
// its own files names them in every upload).
const unknownAgain = time.Minute

// newVersions reports whether a verified ACCEPT or REJECT of recs names lists the
// checker has not read and has not looked for in the last unknownAgain:
// a bundle published since the last read (a tariff change keeps the
// keyring, so Check did not read it), which Judge reads first.
func (c *Checker) newVersions(recs []Record, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	found := false
	for i := range recs {
		r := &recs[i]
		if !judged(r) {
			continue
		}
		if _, ok := c.byVersions[r.Versions]; ok {
			continue
		}
		if at, ok := c.unknown[r.Versions]; ok && now.Sub(at) < unknownAgain && !now.Before(at) {
			continue
		}
		if len(c.unknown) > 10000 {
			clear(c.unknown) // bounded: versions are few, a terminal may name any
		}
		c.unknown[r.Versions] = now
		found = true
	}
	return found
}

// Judge re-judges every ACCEPT whose mark the collector verified from
// what the signed mark says and what the collector knows itself, without
// the counter's local state (reuse, batches): the office the mark was
// issued for against the record's (WRONG_OFFICE), its dates against the
// day of the scan time in the office's zone (by.Zones), or in every time
// zone where that is not known (NOT_YET_VALID, EXPIRED), the scan time
// against the time the collector received it (ReasonScannedAfterReceipt,
// when by.Skew > 0), and the checks of the published lists (keys' validity
// and revocation, tariff, class, tracking, malformed fields, the
// revocation list; MARK-FORMAT §7 step 4) under the bundle whose versions
// the record names, or, when the collector never published those, under
// every published bundle (a reason holds only if each gives it: a
// counter judging under any published list is not disputed for it). An
// ACCEPT the reasons contradict gets them in Disputed and in words in
// Why; it is still stored and still claims its serial (the item went
// in). Run it after Check; it reads the bundles published since Check
// when a record names lists the checker has not read (only a failing
// store is an error). It returns how many records it disputed. A
// verified REJECT it judges the same way (questionRecord): one whose mark
// it would have accepted gets the counter's reasons in Questioned.
func (c *Checker) Judge(ctx context.Context, recs []Record, by JudgeBy) (int, error) {
	if c.newVersions(recs, by.Received) {
		if _, err := c.refresh(ctx); err != nil {
			return 0, err
		}
	}
	lists := c.lists()
	var idx []int
	checkZones(recs, by.Zones) // every record with an offset, not only the judged
	for i := range recs {
		if judged(&recs[i]) {
			idx = append(idx, i)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(idx) < 256 || workers == 1 {
		workers = 1
	}
	chunk := (len(idx) + workers - 1) / workers
	counts := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(idx))
		if lo >= hi {
			break
		}
		wg.Go(func() {
			for _, i := range idx[lo:hi] {
				if r := &recs[i]; r.Verdict == mark.Reject {
					questionRecord(r, lists, by)
				} else if judgeRecord(r, lists, by) {
					counts[w]++
				}
			}
		})
	}
	wg.Wait()
	n := 0
	for _, k := range counts {
		n += k
	}
	return n, nil
}

// judged reports whether Judge judges r: an ACCEPT or a REJECT whose
// mark the collector verified.
func judged(r *Record) bool {
	return (r.Verdict == mark.Accept || r.Verdict == mark.Reject) && r.Verification == Verified && r.Mark != nil
}

// judgeRecord judges one verified ACCEPT (Judge) and reports whether it
// is disputed.
func judgeRecord(r *Record, lists judgeLists, by JudgeBy) bool {
	issued, err1 := mark.ParseDay(r.Mark.Issued)
	until, err2 := mark.ParseDay(r.Mark.ValidUntil)
	if err1 != nil || err2 != nil {
		return false // the text's own fields (Check): cannot happen
	}
	got := map[mark.Reason]bool{}
	var why []string

	// The office, the dates and the time of receipt: the mark's fields and
	// the record's, no list needed.
	if r.Mark.Office != 0 && r.Mark.Office != r.Office { // verify: m.Office != 0 && m.Office != c.Office
		got[mark.ReasonWrongOffice] = true
		why = append(why, fmt.Sprintf("WRONG_OFFICE: the mark is for office %06d, the record is of office %06d", r.Mark.Office, r.Office))
	}
	at := r.At.UTC()
	if loc := judgeZone(r, by.Zones.Of(r.Office)); loc != nil {
		// the office's zone: the day the counter there judged by (by its
		// own zone data when they differ from the collector's: zoneagree.go)
		local := r.At.In(loc)
		d := mark.DayOf(local)
		if d < issued {
			got[mark.ReasonNotYetValid] = true
			why = append(why, fmt.Sprintf("NOT_YET_VALID: scanned %s, %s in the office's time zone %s, before the mark's issue day %s",
				at.Format(time.RFC3339), local.Format("2006-01-02 15:04:05 -07:00"), loc, issued))
		}
		if d > until {
			got[mark.ReasonExpired] = true
			why = append(why, fmt.Sprintf("EXPIRED: scanned %s, %s in the office's time zone %s, after the mark's last day %s",
				at.Format(time.RFC3339), local.Format("2006-01-02 15:04:05 -07:00"), loc, until))
		}
	} else {
		if latest := mark.DayOf(at.Add(latestZone)); latest < issued {
			got[mark.ReasonNotYetValid] = true
			why = append(why, fmt.Sprintf("NOT_YET_VALID: scanned %s, before the mark's issue day %s in every time zone (office %06d's is not known)",
				at.Format(time.RFC3339), issued, r.Office))
		}
		if earliest := mark.DayOf(at.Add(earliestZone)); earliest > until {
			got[mark.ReasonExpired] = true
			why = append(why, fmt.Sprintf("EXPIRED: scanned %s, after the mark's last day %s in every time zone (office %06d's is not known)",
				at.Format(time.RFC3339), until, r.Office))
		}
	}
	if skew, received := by.Skew, by.Received; skew > 0 && r.At.After(received.Add(skew)) {
		got[ReasonScannedAfterReceipt] = true
		why = append(why, fmt.Sprintf("%s: scanned %s, %s after the collector received it (%s; allowed %s)",
			ReasonScannedAfterReceipt, at.Format(time.RFC3339), r.At.Sub(received).Round(time.Second),
			received.UTC().Format(time.RFC3339), skew))
	}

	// The lists: the bundle the record names, else every bundle.
	under := lists.all
	named := lists.byVersions[r.Versions]
	if named != nil {
		under = []*verify.Verifier{named}
	}
	var common []mark.Reason
	for k, v := range under {
		var deferred func() bool // the signature verified (Check): not checked again
		res := v.Verify(r.Text, mark.Context{Office: r.Office, Date: issued, MeasuredWeightG: r.MeasuredWeightG,
			DeferSignature: &deferred})
		rs := slices.DeleteFunc(res.Reasons, func(x mark.Reason) bool {
			// judged above, in the office's zone or every zone: the date given is the issue day
			return x == mark.ReasonNotYetValid || x == mark.ReasonExpired || x == mark.ReasonWrongOffice
		})
		if k == 0 {
			common = rs
		} else {
			common = slices.DeleteFunc(common, func(x mark.Reason) bool { return !slices.Contains(rs, x) })
		}
		if len(common) == 0 {
			break
		}
	}
	if len(common) > 0 {
		names := make([]string, len(common))
		for i, x := range common {
			got[x] = true
			names[i] = string(x)
		}
		if named != nil {
			vs := named.Versions()
			why = append(why, fmt.Sprintf("%s under the lists the record names (keyring %s, tariffs %s, revocations %s)",
				strings.Join(names, ", "), vs.Keyring, vs.Tariffs, vs.Revocations))
		} else {
			why = append(why, fmt.Sprintf("%s under every published bundle (the record names lists the collector never published)",
				strings.Join(names, ", ")))
		}
	}
	if len(got) == 0 {
		return false
	}
	r.Disputed = r.Disputed[:0]
	for _, x := range judgeOrder {
		if got[x] {
			r.Disputed = append(r.Disputed, x)
		}
	}
	r.Why = strings.Join(why, "; ")
	return true
}
