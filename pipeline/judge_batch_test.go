package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"markd/decode"
	"markd/mark"
)

// singleVerifier hides VerifyBatch: JudgeBatch then judges one by one.
type singleVerifier struct{ mark.Verifier }

// TestJudgeBatchSameAsJudge: with a verifier that checks signatures in
// batches, JudgeBatch gives each scan the record Judge gives it: valid
// marks, one forged among many (exactly that one BAD_SIGNATURE), blank and
// over-long lines, texts that are not marks, a broken mark.
func TestJudgeBatchSameAsJudge(t *testing.T) {
	p, _, sign := setup(t)
	if _, ok := p.opt.Verifier.(batchVerifier); !ok {
		t.Fatal("the test's verifier does not judge in batches")
	}
	var scans []mark.Scan
	for i := range 3*BatchChunk + 7 {
		scans = append(scans, mark.Scan{Text: sign(uint64(1000 + i)), Source: "t"})
	}
	body, sig, err := decode.Text(scans[400].Text)
	if err != nil {
		t.Fatal(err)
	}
	sig[5] ^= 0x10
	scans[400].Text = decode.Encode(body, sig)
	scans[3].Text = "  "
	scans[4].Text = strings.Repeat("x", mark.MaxInputSize+1)
	scans[5].Text = "4600000000001"
	scans[6].Text = "EPM1:AAAA"

	got := p.JudgeBatch(scans).recs
	opt := p.opt
	opt.Verifier = singleVerifier{p.opt.Verifier}
	want := New(opt).JudgeBatch(scans).recs
	for i := range scans {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("scan %d: batch %+v\nsingle %+v", i, got[i], want[i])
		}
		bad := got[i].Verdict == mark.Reject && reflect.DeepEqual(got[i].Reasons, []mark.Reason{mark.ReasonBadSignature})
		if bad != (i == 400) {
			t.Errorf("scan %d: %s %v", i, got[i].Verdict, got[i].Reasons)
		}
	}
}
