package batch

import (
	"reflect"
	"testing"

	"markd/batchlist"
	"markd/issuer"
	"markd/mark"
)

// TestSpecReconcileAcceptedOnly: BATCH-LIST.md reconciles the list with the
// accepted scans: EXTRA is "an accepted scan not on the list", and an item
// whose only scans were rejected, repeated or not a mark is MISSING.
func TestSpecReconcileAcceptedOnly(t *testing.T) {
	m := func(serial uint64, tracking uint64) *mark.Mark {
		return &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: 77, MailClass: 2, WeightG: 20,
			TariffKop: 10500, Office: 101000, Tracking: tracking}
	}
	tr := issuer.Tracking(101000, 5)
	recs := []mark.Record{
		{ID: "acc", Verdict: mark.Accept, Mark: m(501, tr)},
		{ID: "rej", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: m(502, 0)},
		{ID: "dup", Verdict: mark.DuplicateScan, Mark: m(501, tr)},
		{ID: "other", Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonOtherContract}, Mark: m(503, 0)},
		{ID: "nam", Verdict: mark.NotAMark},
		{ID: "simple", Verdict: mark.Accept, Mark: &mark.Mark{Serial: 504, MailClass: 1, WeightG: 20, TariffKop: 5000}},
	}
	got := Scanned(recs)
	want := []batchlist.Scanned{
		{RecordID: "acc", Serial: 501, Tracking: "10100000000059", MailClass: 2, WeightG: 20, TariffKop: 10500},
		{RecordID: "simple", Serial: 504, MailClass: 1, WeightG: 20, TariffKop: 5000},
	}
	if tr != 10100000000059 {
		t.Fatalf("test tracking number %d", tr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanned %+v\nwant %+v", got, want)
	}
	l := batchlist.List{Items: []batchlist.Item{{N: 1, Serial: 502, MailClass: 2, WeightG: 20, TariffKop: 10500, Tracking: "10100000000059"}}}
	var kinds []batchlist.DiffKind
	for _, d := range batchlist.Reconcile(l, got) {
		kinds = append(kinds, d.Kind)
	}
	if !reflect.DeepEqual(kinds, []batchlist.DiffKind{batchlist.DiffMissing, batchlist.DiffExtra, batchlist.DiffExtra}) {
		t.Fatalf("diffs %v", kinds)
	}
}
