package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"

	"markd/decode"
	"markd/internal/testdata"
	"markd/mark"
)

// benchMark signs one accepted registered letter with test key id.
func benchMark(b *testing.B, id uint16) (string, mark.Context) {
	keys := testdata.Keys(b)
	text, err := keys[id].Sign(mark.Mark{
		Serial: 1, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20, TariffKop: 10500,
		Office: 426000, Issued: day(b, "2026-11-20"), ValidUntil: day(b, "2027-02-20"), Tracking: 42600000000015,
	})
	if err != nil {
		b.Fatal(err)
	}
	return text, mark.Context{Office: 426000, Date: day(b, "2026-11-25"), MeasuredWeightG: 19}
}

func benchVerify(b *testing.B, id uint16) {
	v := reasonsVerifier(b)
	text, ctx := benchMark(b, id)
	if res := v.Verify(text, ctx); res.Verdict != mark.Accept {
		b.Fatalf("verdict %s %v", res.Verdict, res.Reasons)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(text, ctx).Verdict != mark.Accept {
			b.Fatal("not accepted")
		}
	}
}

// BenchmarkVerify is the full path: parse text + body, signature,
// every step-4 check including the tariff lookup (Ed25519 key).
func BenchmarkVerify(b *testing.B) { benchVerify(b, 1) }

// BenchmarkBareEd25519 verifies the same message with crypto/ed25519 alone.
func BenchmarkBareEd25519(b *testing.B) {
	text, _ := benchMark(b, 1)
	body, sig, err := decode.Text(text)
	if err != nil {
		b.Fatal(err)
	}
	msg := decode.Message(body)
	pub := ed25519.PublicKey(testdata.Keys(b)[1].Public)
	for b.Loop() {
		if !ed25519.Verify(pub, msg[:], sig[:]) {
			b.Fatal("bad signature")
		}
	}
}

// BenchmarkVerifyP256 is the full path with the ECDSA P-256 key.
func BenchmarkVerifyP256(b *testing.B) { benchVerify(b, 2) }

// BenchmarkBareP256 verifies the same message with crypto/ecdsa alone.
func BenchmarkBareP256(b *testing.B) {
	text, _ := benchMark(b, 2)
	body, sig, err := decode.Text(text)
	if err != nil {
		b.Fatal(err)
	}
	msg := decode.Message(body)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), testdata.Keys(b)[2].Public)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h := sha256.Sum256(msg[:])
		if !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			b.Fatal("bad signature")
		}
	}
}

// BenchmarkVerifyBatch is the full path for n marks at once (one
// Ed25519 batch), per mark; compare BenchmarkVerify.
func BenchmarkVerifyBatch(b *testing.B) {
	v := reasonsVerifier(b)
	_, ctx := benchMark(b, 1)
	for _, n := range []int{16, 64, 93, 128, 256, 512, 1000, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			texts := batchTexts(b, 1, n)
			cs := make([]mark.Context, n)
			for i := range cs {
				cs[i] = ctx
			}
			for b.Loop() {
				if res := v.VerifyBatch(texts, cs); res[n-1].Verdict != mark.Accept {
					b.Fatalf("verdict %s %v", res[n-1].Verdict, res[n-1].Reasons)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/mark")
		})
	}
}
