package verify

import (
	"crypto/ed25519"
	"crypto/sha512"
	"math/big"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"

	"markd/decode"
)

// edCase is a public key, a message and a signature, any of them hostile.
type edCase struct {
	name          string
	pub, msg, sig []byte
}

// edCases builds the inputs on which implementations of Ed25519 are known
// to differ: small-order and non-canonical encodings of R and A, S ≥ ℓ,
// R or A with a small-order component added (which the cofactored
// equation accepts and crypto/ed25519's rejects), besides valid and
// corrupted signatures and wrong keys.
func edCases(t testing.TB) []edCase {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	msg := []byte("RU-EPM-v1\x00 forty bytes of a mark body, or so.")
	sig := ed25519.Sign(priv, msg)
	with := func(b []byte, f func(c []byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	cs := []edCase{
		{"valid", pub, msg, sig},
		{"other message", pub, append(msg[:len(msg):len(msg)], '.'), sig},
		{"other key", other, msg, sig},
		{"short signature", pub, msg, sig[:63]},
		{"zero signature", pub, msg, make([]byte, 64)},
		{"S + ℓ", pub, msg, with(sig, func(c []byte) { addOrder(c[32:]) })},
		{"S = ℓ", pub, msg, with(sig, func(c []byte) { copy(c[32:], littleEndian(order())) })},
	}
	for i := 0; i < 64; i++ {
		cs = append(cs, edCase{"bit flipped in byte " + itoa(i), pub, msg, with(sig, func(c []byte) { c[i] ^= 1 << (i % 8) })})
	}
	for i, tp := range curve.EIGHT_TORSION {
		var enc curve.CompressedEdwardsY
		enc.SetEdwardsPoint(tp)
		cs = append(cs,
			edCase{"R of small order " + itoa(i), pub, msg, with(sig, func(c []byte) { copy(c[:32], enc[:]) })},
			edCase{"A of small order " + itoa(i), enc[:], msg, sig},
			edCase{"R plus torsion " + itoa(i), pub, msg, with(sig, func(c []byte) { copy(c[:32], addPoint(t, c[:32], tp)) })},
			edCase{"A plus torsion " + itoa(i), addPoint(t, pub, tp), msg, sig},
		)
	}
	for y := int64(0); y < 19; y++ {
		for _, sign := range []byte{0, 0x80} {
			enc := littleEndian(new(big.Int).Add(big.NewInt(y), fieldPrime()))
			enc[31] |= sign
			cs = append(cs,
				edCase{"non-canonical R y=p+" + itoa(int(y)), pub, msg, with(sig, func(c []byte) { copy(c[:32], enc) })},
				edCase{"non-canonical A y=p+" + itoa(int(y)), enc, msg, sig})
		}
	}
	cs = append(cs, edCase{"A not on the curve", with(pub, func(c []byte) { c[0] ^= 1; c[5] ^= 3 }), msg, sig})
	return cs
}

// TestEd25519SameAsStdlib: the single check (the comb) says what
// crypto/ed25519 says, on every input of edCases.
func TestEd25519SameAsStdlib(t *testing.T) {
	accepted := 0
	for _, c := range edCases(t) {
		want := len(c.pub) == ed25519.PublicKeySize && ed25519.Verify(c.pub, c.msg, c.sig)
		if got := newEdKey(c.pub).verify(c.msg, c.sig); got != want {
			t.Errorf("%s: comb = %v, crypto/ed25519 = %v", c.name, got, want)
		}
		if want {
			accepted++
		}
	}
	if accepted == 0 {
		t.Fatal("no case verified: the cases are broken")
	}
}

// FuzzEd25519SameAsStdlib: any signature bytes, any message, a key with
// or without a small-order component: both checks agree.
func FuzzEd25519SameAsStdlib(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("RU-EPM-v1\x00 body")
	f.Add(msg, ed25519.Sign(priv, msg), uint8(0))
	f.Add(msg, make([]byte, 64), uint8(3))
	keys := torsionKeys(f, pub)
	combs := make([]*edKey, len(keys))
	for i, k := range keys {
		combs[i] = newEdKey(k)
	}
	f.Fuzz(func(t *testing.T, msg, sig []byte, key uint8) {
		i := int(key) % len(keys)
		if key >= 128 && len(sig) == 64 {
			copy(sig, ed25519.Sign(priv, msg)) // valid, then the torsion of the key
		}
		want := ed25519.Verify(keys[i], msg, sig)
		if got := combs[i].verify(msg, sig); got != want {
			t.Fatalf("comb = %v, crypto/ed25519 = %v", got, want)
		}
	})
}

// torsionKeys is pub and pub plus each point of small order but the
// identity.
func torsionKeys(t testing.TB, pub []byte) [][]byte {
	keys := [][]byte{pub}
	for _, tp := range curve.EIGHT_TORSION[1:] {
		keys = append(keys, addPoint(t, pub, tp))
	}
	return keys
}

func addPoint(t testing.TB, enc []byte, p *curve.EdwardsPoint) []byte {
	var c curve.CompressedEdwardsY
	copy(c[:], enc)
	var q curve.EdwardsPoint
	if _, err := q.SetCompressedY(&c); err != nil {
		t.Fatal(err)
	}
	q.Add(&q, p)
	c.SetEdwardsPoint(&q)
	return c[:]
}

func fieldPrime() *big.Int {
	return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
}

func order() *big.Int {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	return l
}

// littleEndian is the 32-byte little-endian encoding of n < 2^256.
func littleEndian(n *big.Int) []byte {
	b := make([]byte, 32)
	be := n.FillBytes(make([]byte, 32))
	for i := range b {
		b[i] = be[31-i]
	}
	return b
}

// addOrder adds ℓ to the 32-byte little-endian scalar s (S + ℓ < 2^256
// for every S < ℓ).
func addOrder(s []byte) {
	be := make([]byte, 32)
	for i := range be {
		be[i] = s[31-i]
	}
	copy(s, littleEndian(new(big.Int).Add(new(big.Int).SetBytes(be), order())))
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// TestBatchTorsionBoundary pins where the batch's cofactored equation and
// crypto/ed25519's part (batch.go): a small-order point added to the R of
// a real signature breaks it for both (R is hashed into k), so nobody but
// the key's holder can make a signature they judge differently; the
// holder can, by signing with an R that has a small-order component.
func TestBatchTorsionBoundary(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 7
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	key := &Key{Alg: 1, single: newEdKey(pub), edA: batchPoint(pub)}
	if !key.batch() {
		t.Fatal("a generated key is not batchable")
	}
	var body [40]byte
	body[0], body[1], body[3] = 1, 1, 1
	msg := decode.Message(body)
	var sig [64]byte
	copy(sig[:], ed25519.Sign(priv, msg[:]))
	batch := func(sigs ...[64]byte) []bool {
		cs := make([]sigCheck, 0, 2*minBatch)
		for len(cs) < 2*minBatch { // enough to be checked as a batch
			for _, s := range sigs {
				cs = append(cs, sigCheck{key: key, body: body, sig: s})
			}
		}
		return []bool{batchValid(cs, []int{0}), batchValid(cs, seq(len(cs)))}
	}
	if got := batch(sig); !got[0] || !got[1] {
		t.Fatalf("valid signature: batch %v", got)
	}
	for i, tp := range curve.EIGHT_TORSION[1:] {
		bent := sig
		copy(bent[:32], addPoint(t, sig[:32], tp))
		if key.verify(body, bent) || batchValid([]sigCheck{{key: key, body: body, sig: bent}}, []int{0}) {
			t.Errorf("torsion %d added to a real R verifies", i+1)
		}
		if got := batch(sig, bent); got[1] {
			t.Errorf("torsion %d added to a real R passes in a batch of valid ones", i+1)
		}
	}
	// The holder's own crafted signature: R = [r]B + T, S = r + k·a.
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	var a, r, k, s scalar.Scalar
	if _, err := a.SetBits(h[:32]); err != nil {
		t.Fatal(err)
	}
	r.SetUint64(123456789)
	var rb curve.EdwardsPoint
	rb.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, &r)
	rb.Add(&rb, curve.EIGHT_TORSION[1])
	var crafted [64]byte
	var renc curve.CompressedEdwardsY
	renc.SetEdwardsPoint(&rb)
	copy(crafted[:32], renc[:])
	hk := sha512.New()
	hk.Write(crafted[:32])
	hk.Write(pub)
	hk.Write(msg[:])
	if _, err := k.SetBytesModOrderWide(hk.Sum(nil)); err != nil {
		t.Fatal(err)
	}
	s.Mul(&k, &a)
	s.Add(&s, &r)
	if err := s.ToBytes(crafted[32:]); err != nil {
		t.Fatal(err)
	}
	single := key.verify(body, crafted)
	inBatch := batchValid([]sigCheck{{key: key, body: body, sig: crafted}}, []int{0})
	if single || !inBatch {
		t.Fatalf("crafted by the key's holder: single %v, batch %v; the boundary moved, update batch.go", single, inBatch)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
