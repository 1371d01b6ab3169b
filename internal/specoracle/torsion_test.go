package specoracle

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"

	"filippo.io/edwards25519"
)

// order8 is a point of order 8 (the small-order points of RFC 8032 test
// suites, e.g. "Taming the many EdDSAs").
var order8 = func() *edwards25519.Point {
	b, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		panic(err)
	}
	return p
}()

// torsionSign signs msg with the Ed25519 seed as RFC 8032 does, except that
// R carries a small-order component: R = [r]B + T8, S = r + k·a with k over
// that R. Only the key's holder can make it. The cofactored equation
// ([8][S]B = [8]R + [8][k]A) holds, the cofactorless one ([S]B = R + [k]A,
// crypto/ed25519's) does not: RFC 8032 §5.1.7 allows either check.
func torsionSign(seed, msg []byte, nonce byte) []byte {
	h := sha512.Sum512(seed)
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		panic(err)
	}
	A := new(edwards25519.Point).ScalarBaseMult(a)
	rh := sha512.Sum512(append([]byte{nonce}, h[32:]...))
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rh[:])
	R := new(edwards25519.Point).ScalarBaseMult(r)
	R.Add(R, order8)
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(A.Bytes())
	kh.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	return append(R.Bytes(), S.Bytes()...)
}

// cofactoredVerify is RFC 8032 §5.1.7 with the group equation the RFC
// names first, [8][S]B = [8]R + [8][k]A: R and A decoded as §5.1.3 says
// (y < p, no negative zero: the encoding must round-trip), S < L.
func cofactoredVerify(pub, msg, sig []byte) bool {
	if len(pub) != 32 || len(sig) != 64 {
		return false
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil || !bytes.Equal(A.Bytes(), pub) {
		return false
	}
	R, err := new(edwards25519.Point).SetBytes(sig[:32])
	if err != nil || !bytes.Equal(R.Bytes(), sig[:32]) {
		return false
	}
	S, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	kh := sha512.New()
	kh.Write(sig[:32])
	kh.Write(pub)
	kh.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	// [S]B − [k]A − R, times 8
	d := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(new(edwards25519.Scalar).Negate(k), A, S)
	d.Subtract(d, R)
	d.MultByCofactor(d)
	return d.Equal(edwards25519.NewIdentityPoint()) == 1
}

// weakEd25519 is markd's rule for a distrusted Ed25519 key
// (docs/notes/spec-audit.md item 10; not the spec's), written here apart
// from internal/edpoint: true unless pub is the canonical encoding
// (§5.1.3, round trip) of a point of order ℓ, i.e. not of small order
// ([8]A ≠ O) and with no small-order component ([ℓ−1]A = −A).
func weakEd25519(pub []byte) bool {
	if len(pub) != 32 {
		return true
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil || !bytes.Equal(A.Bytes(), pub) {
		return true
	}
	id := edwards25519.NewIdentityPoint()
	if new(edwards25519.Point).MultByCofactor(A).Equal(id) == 1 {
		return true
	}
	one := make([]byte, 32)
	one[0] = 1
	s, _ := new(edwards25519.Scalar).SetCanonicalBytes(one)
	lMinus1 := new(edwards25519.Scalar).Negate(s)
	return new(edwards25519.Point).ScalarMult(lMinus1, A).Equal(new(edwards25519.Point).Negate(A)) != 1
}
