package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"markd/mark"
)

// TestSpecBatchContract holds the store to MARK-FORMAT §8 for the cases
// TestBatchJoin leaves out: a batch without a contract takes it from the
// first mark whose signature verified even when that mark is rejected,
// never from a scan whose signature did not verify; a contract given at
// open is kept against the first mark; OTHER_CONTRACT follows every
// reason of step 4.
func TestSpecBatchContract(t *testing.T) {
	ctx := context.Background()
	type step struct {
		name    string
		rec     *mark.Record
		verdict mark.Verdict
		reasons []mark.Reason
	}
	badSig := func(at time.Time) *mark.Record {
		return &mark.Record{At: at, Counter: "A", Source: "t", Text: "EPM1:FORGED", Verdict: mark.Reject,
			Reasons: []mark.Reason{mark.ReasonBadSignature}}
	}
	for _, tc := range []struct {
		name     string
		contract uint32 // given at open
		steps    []step
		want     uint32
	}{
		{"from the first verified mark, rejected", 0, []step{
			{"bad signature gives none", badSig(t0), mark.Reject, []mark.Reason{mark.ReasonBadSignature}},
			{"expired, verified: gives 555", contractRec(31, 555, "A", t0, mark.Reject, mark.ReasonExpired), mark.Reject, []mark.Reason{mark.ReasonExpired}},
			{"valid of 1004417", contractRec(32, 1004417, "A", t0, mark.Accept), mark.Reject, []mark.Reason{mark.ReasonOtherContract}},
			{"valid of 555", contractRec(33, 555, "A", t0, mark.Accept), mark.Accept, nil},
		}, 555},
		{"given at open", 42, []step{
			{"first mark of 7", contractRec(41, 7, "A", t0, mark.Accept), mark.Reject, []mark.Reason{mark.ReasonOtherContract}},
			{"of 42", contractRec(42, 42, "A", t0, mark.Accept), mark.Accept, nil},
			{"of 7 with every kind of step 4 reason", contractRec(43, 7, "A", t0, mark.Reject,
				mark.ReasonKeyNotValid, mark.ReasonUnderpaid, mark.ReasonMalformed, mark.ReasonRevoked), mark.Reject,
				[]mark.Reason{mark.ReasonKeyNotValid, mark.ReasonUnderpaid, mark.ReasonMalformed, mark.ReasonRevoked, mark.ReasonOtherContract}},
		}, 42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := scOpen(t)
			b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Operator: "ivanova", Contract: tc.contract})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.steps {
				if err := db.Save(ctx, s.rec, 10*time.Minute); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if s.rec.Verdict != s.verdict || !slices.Equal(s.rec.Reasons, append([]mark.Reason{}, s.reasons...)) {
					t.Errorf("%s: %s %v, want %s %v", s.name, s.rec.Verdict, s.rec.Reasons, s.verdict, s.reasons)
				}
			}
			got, err := db.GetBatch(ctx, b.ID)
			if err != nil || got.Contract != tc.want {
				t.Fatalf("batch contract %d (%v), want %d", got.Contract, err, tc.want)
			}
		})
	}
}
