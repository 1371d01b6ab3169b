package batchlist

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestReconAddEqualsNew: a Recon kept up to date scan by scan (Add, or New
// again when Add cannot tell) gives after every scan the differences of a
// reconciliation built from all of them, whole and its first rows.
func TestReconAddEqualsNew(t *testing.T) {
	yes := true
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		nItems, nMarks := 1+rng.IntN(40), 1+rng.IntN(50)
		tr := func(s uint64) string { return fmt.Sprintf("%014d", 80000000000000+s) }
		var l List
		for i := range nItems {
			it := Item{Line: i + 2, N: i + 1, MailClass: uint8(1 + rng.IntN(2)), WeightG: 20 + 5*rng.IntN(2), TariffKop: 10500}
			s := uint64(1 + rng.IntN(nMarks))
			switch rng.IntN(5) {
			case 0, 1:
				it.Serial, it.Tracking = s, tr(s)
			case 2:
				it.Tracking = tr(s)
			case 3:
				it.Serial = s
			default: // neither: matched by class, weight and tariff
			}
			if rng.IntN(4) == 0 {
				it.Notice = &yes
			}
			l.Items = append(l.Items, it)
		}
		var scans []Scanned
		var r *Recon
		adds, builds := 0, 0
		for k := range 80 {
			s := uint64(1 + rng.IntN(nMarks))
			sc := Scanned{RecordID: fmt.Sprintf("r%d", k), Serial: s, MailClass: uint8(1 + rng.IntN(2)), WeightG: 20 + 5*rng.IntN(2),
				TariffKop: 10500, Notice: rng.IntN(2) == 0, Rejected: rng.IntN(3) == 0}
			if rng.IntN(3) > 0 {
				sc.Tracking = tr(s)
			}
			scans = append(scans, sc)
			if r == nil || !r.Add(sc) {
				r, builds = New(l, scans), builds+1
			} else {
				adds++
			}
			want := New(l, scans).Diffs(-1)
			if got := r.Diffs(-1); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d, scan %d: kept up to date\n%+v\nbuilt again\n%+v", seed, k, got, want)
			}
			if r.Len() != len(want) {
				t.Fatalf("seed %d, scan %d: Len %d, %d differences", seed, k, r.Len(), len(want))
			}
			if n := rng.IntN(len(want) + 2); !reflect.DeepEqual(r.Diffs(n), want[:min(n, len(want))]) && n > 0 {
				t.Fatalf("seed %d, scan %d: first %d differences differ", seed, k, n)
			}
		}
		if adds == 0 {
			t.Fatalf("seed %d: no scan was added without building again (%d builds)", seed, builds)
		}
	}
}
