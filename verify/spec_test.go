package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"math/big"
	"reflect"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// Tests that build marks from MARK-FORMAT §1–§3 by hand, with the standard
// library only (no markd encoder or signer): the body laid out at the
// spec's offsets, the message and signatures as §3 says, the text as §1
// says. What markd reads from them must be what the spec wrote.

// The body is refMark's (reference_test.go): §2 laid out field by field.

// specText is §1: "EPM1:" and RFC 4648 base32, upper case, no padding.
func specText(body, sig []byte) string {
	return "EPM1:" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(append(append([]byte{}, body...), sig...))
}

// specMessage is §3: the ASCII bytes RU-EPM-v1, one zero byte, the body.
func specMessage(body []byte) []byte { return append([]byte("RU-EPM-v1\x00"), body...) }

func specKeys(t *testing.T) (ed25519.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keys := testdata.Keys(t)
	ed := ed25519.NewKeyFromSeed(keys[1].Private)
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), keys[2].Private)
	if err != nil {
		t.Fatal(err)
	}
	return ed, ec
}

func ecdsaRS(t *testing.T, k *ecdsa.PrivateKey, digest []byte) (r, s *big.Int) {
	t.Helper()
	r, s, err := ecdsa.Sign(rand.Reader, k, digest)
	if err != nil {
		t.Fatal(err)
	}
	return r, s
}

func be32(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }

// TestSpecHandMadeMarks: marks laid out, signed and encoded by hand are
// accepted with the fields the spec put at their offsets; the same marks
// signed over any other message or encoding are BAD_SIGNATURE with no
// field reported (§3).
func TestSpecHandMadeMarks(t *testing.T) {
	v := reasonsVerifier(t)
	ed, ec := specKeys(t)
	ctx := mark.Context{Office: 190000, Date: day(t, "2026-12-01")}
	base := refMark{version: 1, alg: 1, keyID: 1, serial: 0x0102030405060708, contract: 0x0A0B0C0D,
		class: 3, flags: 1, weight: 0x01F4, tariff: 28000 + 11000, office: 190000,
		issued: uint16(day(t, "2026-11-30")), validUntil: uint16(day(t, "2027-11-30")), tracking: withCheck(t, 1900001234567)}
	want := mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: 0x0102030405060708, Contract: 0x0A0B0C0D,
		MailClass: 3, Flags: 1, WeightG: 500, TariffKop: 39000, Office: 190000,
		Issued: day(t, "2026-11-30"), ValidUntil: day(t, "2027-11-30"), Tracking: withCheck(t, 1900001234567)}
	if !verifyTracking(t, want.Tracking) {
		t.Fatal("test tracking number has a wrong check digit")
	}

	edBody := base.body()
	ecB := base
	ecB.alg, ecB.keyID = 2, 2
	ecBody := ecB.body()
	wantEC := want
	wantEC.Alg, wantEC.KeyID = 2, 2
	n := elliptic.P256().Params().N

	r, s := ecdsaRS(t, ec, func() []byte { h := sha256.Sum256(specMessage(ecBody)); return h[:] }())
	highS := new(big.Int).Sub(n, s)
	if s.Cmp(highS) > 0 {
		s, highS = highS, s
	}
	shaOther := sha512.Sum512_256(specMessage(ecBody))
	ro, so := ecdsaRS(t, ec, shaOther[:])
	rawMsg := specMessage(ecBody)
	rr, sr := ecdsaRS(t, ec, rawMsg[:32])
	le := func(b []byte) []byte {
		out := make([]byte, len(b))
		for i := range b {
			out[i] = b[len(b)-1-i]
		}
		return out
	}

	for _, tc := range []struct {
		name string
		text string
		want *mark.Mark // nil: BAD_SIGNATURE
	}{
		{"ed25519 over RU-EPM-v1 NUL body", specText(edBody, ed25519.Sign(ed, specMessage(edBody))), &want},
		{"ed25519 over the body alone", specText(edBody, ed25519.Sign(ed, edBody)), nil},
		{"ed25519 over RU-EPM-v1 body (no NUL)", specText(edBody, ed25519.Sign(ed, append([]byte("RU-EPM-v1"), edBody...))), nil},
		{"ed25519 over RU-EPM-v1 NUL NUL body", specText(edBody, ed25519.Sign(ed, append([]byte("RU-EPM-v1\x00\x00"), edBody...))), nil},
		{"ed25519 over ru-epm-v1 NUL body", specText(edBody, ed25519.Sign(ed, append([]byte("ru-epm-v1\x00"), edBody...))), nil},
		{"ed25519 over the SHA-512 of the message (prehashed)", specText(edBody, func() []byte {
			h := sha512.Sum512(specMessage(edBody))
			return ed25519.Sign(ed, h[:])
		}()), nil},
		{"ecdsa r||s over SHA-256 of the message", specText(ecBody, append(be32(r), be32(s)...)), &wantEC},
		{"ecdsa r||(n-s): a valid ECDSA signature too", specText(ecBody, append(be32(r), be32(highS)...)), &wantEC},
		{"ecdsa s||r", specText(ecBody, append(be32(s), be32(r)...)), nil},
		{"ecdsa r and s little-endian", specText(ecBody, append(le(be32(r)), le(be32(s))...)), nil},
		{"ecdsa over SHA-512/256", specText(ecBody, append(be32(ro), be32(so)...)), nil},
		{"ecdsa over the first 32 message bytes unhashed", specText(ecBody, append(be32(rr), be32(sr)...)), nil},
		{"ed25519 key id, alg 2 in the body, ed25519 signature", func() string {
			b := base
			b.alg = 2
			body := b.body()
			return specText(body, ed25519.Sign(ed, specMessage(body)))
		}(), nil},
		{"ecdsa key id, alg 1 in the body, ecdsa signature", func() string {
			b := ecB
			b.alg = 1
			body := b.body()
			h := sha256.Sum256(specMessage(body))
			r, s := ecdsaRS(t, ec, h[:])
			return specText(body, append(be32(r), be32(s)...))
		}(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.text) != 172 {
				t.Fatalf("text of %d characters, §1 says 172", len(tc.text))
			}
			res := v.Verify(tc.text, ctx)
			if tc.want == nil {
				if res.Verdict != mark.Reject || !reflect.DeepEqual(res.Reasons, []mark.Reason{mark.ReasonBadSignature}) || res.Mark != nil {
					t.Fatalf("got %s %v (mark %v), want REJECT [BAD_SIGNATURE] and no fields", res.Verdict, res.Reasons, res.Mark != nil)
				}
				return
			}
			if res.Verdict != mark.Accept || len(res.Reasons) != 0 {
				t.Fatalf("got %s %v, want ACCEPT", res.Verdict, res.Reasons)
			}
			if *res.Mark != *tc.want {
				t.Fatalf("fields %+v\nwant   %+v", *res.Mark, *tc.want)
			}
		})
	}
}

// verifyTracking is §5 computed here: S = 3·(d1+d3+…+d13) + (d2+…+d12),
// check digit (10 − S mod 10) mod 10.
func verifyTracking(t *testing.T, n uint64) bool {
	t.Helper()
	var d [14]uint64
	for i := 13; i >= 0; i-- {
		d[i], n = n%10, n/10
	}
	var s uint64
	for i := 0; i < 13; i++ {
		if i%2 == 0 {
			s += 3 * d[i]
		} else {
			s += d[i]
		}
	}
	return d[13] == (10-s%10)%10
}

// withCheck appends to 13 digits the check digit §5 gives them.
func withCheck(t *testing.T, first13 uint64) uint64 {
	t.Helper()
	for c := uint64(0); c < 10; c++ {
		if verifyTracking(t, first13*10+c) {
			return first13*10 + c
		}
	}
	t.Fatal("no check digit")
	return 0
}

// TestSpecTrackingBoundaries: §5 on both sides of its limits, each number
// with its check digit computed here.
func TestSpecTrackingBoundaries(t *testing.T) {
	v := reasonsVerifier(t)
	ed, _ := specKeys(t)
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	largest := withCheck(t, 9999999999999) // 10^14 − 3: the largest valid
	for _, tc := range []struct {
		name     string
		class    uint8
		tracking uint64
		want     []mark.Reason
	}{
		{"registered, largest 14-digit number", 2, largest, nil},
		{"registered, 1 with its check digit", 2, withCheck(t, 1), nil},
		{"registered, 10^14 − 1", 2, 99999999999999, []mark.Reason{mark.ReasonBadTracking}},
		{"registered, 10^14", 2, 100000000000000, []mark.Reason{mark.ReasonBadTracking}},
		{"registered, 10^14 + a valid number", 2, 100000000000000 + largest, []mark.Reason{mark.ReasonBadTracking}},
		{"registered, 2^64 − 1", 2, 1<<64 - 1, []mark.Reason{mark.ReasonBadTracking}},
		{"registered, none", 2, 0, []mark.Reason{mark.ReasonMissingTracking}},
		{"postcard, none", 4, 0, []mark.Reason{mark.ReasonMissingTracking}},
		{"printed matter, none", 3, 0, []mark.Reason{mark.ReasonMissingTracking}},
		{"simple letter, none", 1, 0, nil},
		{"simple letter, valid number kept", 1, largest, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tariffs := map[uint8]uint32{1: 5000, 2: 10500, 3: 17000, 4: 9000}
			b := refMark{version: 1, alg: 1, keyID: 1, serial: 42, contract: 1, class: tc.class, weight: 20,
				tariff: tariffs[tc.class], office: 426000, issued: uint16(day(t, "2026-11-20")),
				validUntil: uint16(day(t, "2026-12-20")), tracking: tc.tracking}
			body := b.body()
			res := v.Verify(specText(body, ed25519.Sign(ed, specMessage(body))), ctx)
			want := append([]mark.Reason{}, tc.want...)
			if !reflect.DeepEqual(res.Reasons, want) {
				t.Fatalf("reasons %v, want %v", res.Reasons, want)
			}
			if res.Mark == nil || res.Mark.Tracking != tc.tracking {
				t.Fatalf("tracking not kept: %+v", res.Mark)
			}
		})
	}
}
