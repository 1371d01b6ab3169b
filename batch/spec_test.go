package batch

import (
	"fmt"
	"reflect"
	"testing"

	"markd/batchlist"
	"markd/issuer"
	"markd/mark"
)

// TestSpecMissingIsNotScanned holds the reconciliation to BATCH-LIST.md's
// words: "MISSING (on the list, not scanned in the batch), EXTRA (an
// accepted scan not on the list), CLASS, WEIGHT, TARIFF, NOTICE (the list
// and the verified mark differ)", with MARK-FORMAT §8 "while a batch is
// open at a counter, every scan there belongs to it". A listed item whose
// mark was scanned in the batch and rejected (UNDERPAID, OTHER_CONTRACT,
// REUSED, a DUPLICATE_SCAN) was scanned: it is not MISSING, and the list is
// compared with its verified mark; a rejected scan not on the list is not
// EXTRA (only an accepted one is). A scan whose signature did not verify
// has no mark to match (§3), so its item stays MISSING.
func TestSpecMissingIsNotScanned(t *testing.T) {
	m := func(serial uint64, tracking uint64) *mark.Mark {
		return &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: 77, MailClass: 2, WeightG: 20,
			TariffKop: 10500, Office: 101000, Tracking: tracking}
	}
	tr := func(i uint64) uint64 { return issuer.Tracking(101000, i) }
	recs := []mark.Record{
		{ID: "acc", Verdict: mark.Accept, Mark: m(501, tr(1))},
		{ID: "rej", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: m(502, tr(2))},
		{ID: "dup", Verdict: mark.DuplicateScan, Mark: m(501, tr(1))},
		{ID: "other", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonOtherContract}, Mark: m(503, tr(3))},
		{ID: "nam", Verdict: mark.NotAMark},
		{ID: "badsig", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonBadSignature}},
		{ID: "simple", Verdict: mark.Accept, Mark: &mark.Mark{Serial: 504, MailClass: 1, WeightG: 20, TariffKop: 5000}},
		{ID: "reused", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonReused}, Mark: m(505, tr(5))},
		{ID: "under-then-paid", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: m(506, tr(6))},
		{ID: "paid", Verdict: mark.Accept, Mark: m(506, tr(6))},
		{ID: "notlisted", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonExpired}, Mark: m(507, tr(7))},
	}
	item := func(n int, serial, tracking uint64, weight int) batchlist.Item {
		return batchlist.Item{N: n, Serial: serial, Tracking: fmt.Sprintf("%014d", tracking), MailClass: 2, WeightG: weight, TariffKop: 10500}
	}
	l := batchlist.List{Items: []batchlist.Item{
		item(1, 501, tr(1), 20), // accepted (and scanned again)
		item(2, 502, tr(2), 25), // rejected UNDERPAID: scanned; its mark says 20 g
		item(3, 0, tr(3), 20),   // rejected OTHER_CONTRACT, listed by tracking: scanned
		item(4, 508, tr(8), 20), // its only scan did not verify (badsig): MISSING
		item(5, 505, tr(5), 20), // REUSED: scanned
		item(6, 506, tr(6), 30), // rejected, then accepted: compared with the accepted scan
	}}
	type diff struct {
		Kind      batchlist.DiffKind
		N         int
		Record    string
		Want, Got string
	}
	var got []diff
	for _, d := range batchlist.Reconcile(l, Scanned(recs)) {
		g := diff{Kind: d.Kind, Want: d.Want, Got: d.Got}
		if d.Item != nil {
			g.N = d.Item.N
		}
		if d.Scan != nil {
			g.Record = d.Scan.RecordID
		}
		got = append(got, g)
	}
	want := []diff{
		{batchlist.DiffWeight, 2, "rej", "25", "20"},
		{batchlist.DiffMissing, 4, "", "", ""},
		{batchlist.DiffWeight, 6, "paid", "30", "20"},
		{batchlist.DiffExtra, 0, "simple", "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("differences\n got %+v\nwant %+v", got, want)
	}
}
