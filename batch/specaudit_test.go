package batch

import (
	"context"
	"slices"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
)

// TestSpecAuditSerialAcrossKeysAndBatches (third spec audit,
// docs/notes/spec-audit.md): MARK-FORMAT §2 "serial: mark serial number,
// unique across all keys of the issuer", §7 step 5 "the serial was
// already accepted before → REUSED, reported with when and where it was
// first accepted", and §8 "a serial accepted in any batch, or outside
// one, is REUSED everywhere else". Real marks signed with the test keys
// 1, 2 and 3 under one serial, judged by the real verifier, recorded in a
// real store with a batch open at counter A.
func TestSpecAuditSerialAcrossKeysAndBatches(t *testing.T) {
	ctx := context.Background()
	s, db := openService(t)
	b, err := s.Open(ctx, 0, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	v := testdata.Verifier(t)
	keys := testdata.Keys(t)
	at := testdata.Now()
	date := mark.DayOf(at.UTC())
	const serial = 7100000301
	m := mark.Mark{Serial: serial, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: date - 1, ValidUntil: date + 30, Tracking: issuer.Tracking(426000, 301)}
	sign := func(id uint16, m mark.Mark) string {
		text, err := keys[id].Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	early := m // key 3 signs before its revoked_from (2026-03-01)
	lastBefore, err := mark.ParseDay("2026-02-28")
	if err != nil {
		t.Fatal(err)
	}
	early.Issued = min(m.Issued, lastBefore)
	steps := []struct {
		name        string
		text        string
		counter     string
		after       time.Duration
		wantVerdict mark.Verdict
		wantReasons []mark.Reason
		wantBatch   bool
	}{
		{"key 1, in the batch at A", sign(1, m), "A", 0, mark.Accept, nil, true},
		{"same serial by key 2, outside any batch at B", sign(2, m), "B", time.Minute, mark.Reject, []mark.Reason{mark.ReasonReused}, false},
		{"same serial by key 3, in the batch at A within the re-scan window", sign(3, early), "A", 2 * time.Minute, mark.Reject,
			[]mark.Reason{mark.ReasonReused}, true},
	}
	var firstID string
	for i, st := range steps {
		res := v.Verify(st.text, mark.Context{Office: 426000, Date: date})
		if res.Mark == nil || res.Verdict != mark.Accept {
			t.Fatalf("%s: the mark alone is %s %v, want ACCEPT before reuse", st.name, res.Verdict, res.Reasons)
		}
		rec := &mark.Record{At: at.Add(st.after), Office: 426000, Counter: st.counter, Source: "test", Text: st.text,
			Verdict: res.Verdict, Reasons: res.Reasons, Mark: res.Mark}
		if err := db.Save(ctx, rec, 10*time.Minute); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if i == 0 {
			firstID = rec.ID
		}
		if rec.Verdict != st.wantVerdict || !slices.Equal(rec.Reasons, append([]mark.Reason{}, st.wantReasons...)) {
			t.Errorf("%s: %s %v, want %s %v", st.name, rec.Verdict, rec.Reasons, st.wantVerdict, st.wantReasons)
		}
		if (rec.Batch == b.ID) != st.wantBatch {
			t.Errorf("%s: batch %q, in the open batch %v", st.name, rec.Batch, st.wantBatch)
		}
		if st.wantVerdict == mark.Reject {
			f := rec.FirstAccepted
			if f == nil || f.RecordID != firstID || f.Counter != "A" || !f.At.Equal(at) || f.Office != 426000 {
				t.Errorf("%s: first accepted %+v, want record %s at A, %s", st.name, f, firstID, at)
			}
		}
	}
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals.Accepted != 1 || st.Totals.Rejected != 1 {
		t.Fatalf("batch totals %+v: want the key-1 mark accepted and the key-3 one rejected", st.Totals)
	}
}
