package verify_test

import (
	"reflect"
	"testing"

	"markd/decode"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// batchTexts signs n accepted registered letters with the test key id.
func batchTexts(t testing.TB, id uint16, n int) []string {
	t.Helper()
	k := testdata.Keys(t)[id]
	alg, _ := issuer.AlgCode(k.Alg)
	out := make([]string, n)
	for i := range out {
		text, err := k.Sign(mark.Mark{Version: 1, Alg: alg, KeyID: id, Serial: 8_000_000 + uint64(i), Contract: 1004417,
			MailClass: mark.ClassRegisteredLetter, WeightG: 20, TariffKop: 10500, Office: 426000,
			Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20"), Tracking: 42600000000015})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = text
	}
	return out
}

// forge flips one bit of the signature (bit < 512) or of the body
// (bit ≥ 512) of a well-formed text and encodes it again: well-formed,
// not signed.
func forge(t testing.TB, text string, bit int) string {
	t.Helper()
	body, sig, err := decode.Text(text)
	if err != nil {
		t.Fatal(err)
	}
	bit %= 8 * (mark.SigSize + mark.BodySize)
	if bit < 8*mark.SigSize {
		sig[bit/8] ^= 1 << (bit % 8)
	} else {
		bit -= 8 * mark.SigSize
		body[bit/8] ^= 1 << (bit % 8)
	}
	return decode.Encode(body, sig)
}

// sameAsSingle checks that VerifyBatch gives, text by text, what Verify
// gives.
func sameAsSingle(t *testing.T, v *verify.Verifier, texts []string, c mark.Context) []mark.Result {
	t.Helper()
	cs := make([]mark.Context, len(texts))
	for i := range cs {
		cs[i] = c
	}
	got := v.VerifyBatch(texts, cs)
	if len(got) != len(texts) {
		t.Fatalf("%d results for %d texts", len(got), len(texts))
	}
	for i, text := range texts {
		if want := v.Verify(text, c); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("text %d (%.30s…): batch %+v, single %+v", i, text, got[i], want)
		}
	}
	return got
}

// TestBatchSameAsSingle: the batch path judges every text as Verify does:
// valid marks of both algorithms, corrupted signatures and bodies (one
// among many, several, all), other keys with the same id, unknown keys,
// malformed texts and every vector of the shared test data; a batch with
// one forged mark names exactly that one.
func TestBatchSameAsSingle(t *testing.T) {
	v := testdata.Verifier(t)
	c := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	valid := batchTexts(t, 1, 100)
	rogue, err := issuer.Generate(issuer.AlgEd25519, 1, day(t, "2025-01-01"), day(t, "2027-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	rogueText, _ := rogue.Sign(mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 9, Contract: 1, MailClass: 1, WeightG: 20,
		TariffKop: 10500, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20")})
	with := func(base []string, at map[int]string) []string {
		out := append([]string(nil), base...)
		for i, s := range at {
			out[i] = s
		}
		return out
	}
	var vectors []string
	for _, vec := range testdata.Vectors(t) {
		vectors = append(vectors, vec.Text)
	}
	every := func(n int) map[int]string {
		m := map[int]string{}
		for i := 0; i < len(valid); i += n {
			m[i] = forge(t, valid[i], i*7)
		}
		return m
	}
	tests := []struct {
		name   string
		texts  []string
		forged []int // the texts that must be BAD_SIGNATURE
	}{
		{"all valid", valid, nil},
		{"one forged signature among 100", with(valid, map[int]string{37: forge(t, valid[37], 100)}), []int{37}},
		{"first forged", with(valid, map[int]string{0: forge(t, valid[0], 3)}), []int{0}},
		{"last forged", with(valid, map[int]string{99: forge(t, valid[99], 511)}), []int{99}},
		{"one body altered", with(valid, map[int]string{50: forge(t, valid[50], 512+8*4+3)}), []int{50}},
		{"two forged in different halves", with(valid, map[int]string{10: forge(t, valid[10], 9), 90: forge(t, valid[90], 300)}), []int{10, 90}},
		{"every third forged", with(valid, every(3)), nil},
		{"all forged", with(valid, every(1)), nil},
		{"another key with the same id", with(valid, map[int]string{5: rogueText}), []int{5}},
		{"P-256 and Ed25519 mixed", append(append([]string(nil), valid[:40]...), batchTexts(t, 2, 20)...), nil},
		{"other Ed25519 keys (revoked, expired)", append(batchTexts(t, 3, 30), batchTexts(t, 4, 30)...), nil},
		{"malformed and not marks", with(valid, map[int]string{1: "EPM1:FAKE", 2: "hello", 3: "", 4: valid[4][:100], 6: "]Q1" + valid[6] + "\r\n"}), nil},
		{"vectors", vectors, nil},
		{"vectors among valid", append(append([]string(nil), valid...), vectors...), nil},
		{"few", valid[:3], nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sameAsSingle(t, v, tt.texts, c)
			bad := map[int]bool{}
			for _, i := range tt.forged {
				bad[i] = true
				if !reflect.DeepEqual(got[i].Reasons, []mark.Reason{mark.ReasonBadSignature}) {
					t.Errorf("forged text %d: %s %v", i, got[i].Verdict, got[i].Reasons)
				}
			}
			if tt.forged != nil {
				for i, r := range got {
					if !bad[i] && r.Verdict != mark.Accept {
						t.Errorf("text %d not forged: %s %v", i, r.Verdict, r.Reasons)
					}
				}
			}
		})
	}
}

// FuzzBatchSameAsSingle: valid marks with bits flipped where the fuzzer
// says (each pair of bytes: which text, which bit of body and signature),
// judged in one batch and one by one, give the same results.
func FuzzBatchSameAsSingle(f *testing.F) {
	v := testdata.Verifier(f)
	c := mark.Context{Office: 426000, Date: day(f, "2026-11-25")}
	valid := append(batchTexts(f, 1, 60), batchTexts(f, 2, 4)...)
	f.Add([]byte{})
	f.Add([]byte{37, 100})
	f.Add([]byte{0, 1, 63, 255, 30, 200, 31, 7})
	f.Fuzz(func(t *testing.T, flips []byte) {
		texts := append([]string(nil), valid...)
		for i := 0; i+1 < len(flips); i += 2 {
			at := int(flips[i]) % len(texts)
			texts[at] = forge(t, texts[at], int(flips[i+1])*3+int(flips[i])) // every bit reachable
		}
		sameAsSingle(t, v, texts, c)
	})
}
