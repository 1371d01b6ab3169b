// Package benchutil holds what the bench/ programs share: marks valid
// today for a running markd (benchmarks judge on the wall clock, like the
// daemon they measure), percentiles and millisecond figures.
package benchutil

import (
	"fmt"
	"slices"
	"time"

	"markd/issuer"
	"markd/mark"
)

// Marks signs n registered letters for office 426000, issued yesterday and
// valid 90 days, with the first key of the key file keys, contract and
// tariff as given. Serials start at a point of the clock plus offset, so
// runs against a kept store do not reuse each other's serials.
func Marks(keys string, n int, contract uint32, tariffKop uint32, offset uint64) ([]string, error) {
	ks, err := issuer.LoadKeys(keys)
	if err != nil {
		return nil, err
	}
	today := mark.DayOf(time.Now())
	base := uint64(time.Now().UnixNano()/1000) + offset
	out := make([]string, n)
	for i := range out {
		s := base + uint64(i)
		if out[i], err = ks[0].Sign(mark.Mark{Serial: s, Contract: contract, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
			TariffKop: tariffKop, Office: 426000, Issued: today - 1, ValidUntil: today + 90,
			Tracking: issuer.Tracking(426000, s%10_000_000)}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Pct is the p-th percentile of ds (nearest rank).
func Pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// Ms prints d in milliseconds with microsecond resolution.
func Ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
