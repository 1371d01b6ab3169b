// Package edpoint checks an Ed25519 public key before markd trusts it
// (an issuer key of a keyring, a bundle's keyring, the pinned
// distribution key): it must be the canonical encoding of a point of the
// prime-order subgroup other than the identity. RFC 8032 and
// crypto/ed25519 take any 32 bytes that decode; with a key of small order
// anyone can make a signature that verifies (R = [s]B, S = s for the
// identity), and a key with a small-order component is where the
// cofactored and the cofactorless equations disagree
// (docs/notes/spec-audit.md items 9 and 10). MARK-FORMAT §6 does not
// forbid such keys; markd refuses them, fail closed.
package edpoint

import (
	"bytes"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// ErrWeakKey is wrapped by every refusal of Check.
var ErrWeakKey = errors.New("weak or invalid Ed25519 public key")

// Size is the length of an Ed25519 public key.
const Size = 32

// orderMinusOne is ℓ − 1 (−1 mod ℓ): [ℓ]A = [ℓ−1]A + A, as ℓ itself is
// not a Scalar. ScalarMult multiplies by the integer, so this holds for a
// point of any order.
var orderMinusOne = func() *edwards25519.Scalar {
	one := make([]byte, 32)
	one[0] = 1
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(one)
	if err != nil {
		panic("edpoint: " + err.Error())
	}
	return new(edwards25519.Scalar).Negate(s)
}()

// Check returns nil when pub is the canonical encoding of a point of
// order ℓ, else an error wrapping ErrWeakKey that says why: the wrong
// length, not a point of the curve, a non-canonical encoding (y ≥ p, or
// x = 0 with the sign bit set), a point of small order (the 8 points of
// order 1, 2, 4, 8), or a point with a small-order component (A' + T).
func Check(pub []byte) error {
	if len(pub) != Size {
		return fmt.Errorf("%w: %d bytes, an Ed25519 key is %d", ErrWeakKey, len(pub), Size)
	}
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return fmt.Errorf("%w: not a point of the curve (no x for its y)", ErrWeakKey)
	}
	if !bytes.Equal(a.Bytes(), pub) {
		return fmt.Errorf("%w: not the canonical encoding of its point (y ≥ p, or x = 0 with the sign bit set; RFC 8032 §5.1.3 refuses it)", ErrWeakKey)
	}
	if ord := smallOrder(a); ord != 0 {
		what := fmt.Sprintf("a point of small order %d", ord)
		if ord == 1 {
			what += " (the identity point)"
		}
		return fmt.Errorf("%w: %s: anyone can make a signature that verifies under it", ErrWeakKey, what)
	}
	id := edwards25519.NewIdentityPoint()
	la := new(edwards25519.Point).ScalarMult(orderMinusOne, a)
	if la.Add(la, a).Equal(id) != 1 {
		return fmt.Errorf("%w: a point with a small-order component (not in the subgroup of order ℓ): the cofactored and cofactorless checks of RFC 8032 disagree on its signatures", ErrWeakKey)
	}
	return nil
}

// smallOrder is the order of a when it divides 8, else 0.
func smallOrder(a *edwards25519.Point) int {
	id := edwards25519.NewIdentityPoint()
	p := new(edwards25519.Point).Set(a)
	for ord := 1; ord <= 8; ord *= 2 {
		if p.Equal(id) == 1 {
			return ord
		}
		p.Add(p, p)
	}
	return 0
}
