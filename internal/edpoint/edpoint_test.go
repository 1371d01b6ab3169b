package edpoint

import (
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
)

// voiAccepts is the same rule by curve25519-voi's arithmetic: canonical,
// a point, torsion-free and not the identity.
func voiAccepts(pub []byte) bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(pub); err != nil || !c.IsCanonicalVartime() {
		return false
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return false
	}
	return p.IsTorsionFree() && !p.IsSmallOrder()
}

// TestCheckAgreesWithVoi: on real keys, real keys plus each point of
// small order, the points of small order and seeded random bytes (half
// not points, most points of mixed order), Check says what a second
// library says; every refusal wraps ErrWeakKey.
func TestCheckAgreesWithVoi(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2026))
	var keys [][]byte
	for range 32 {
		seed := make([]byte, 32)
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		keys = append(keys, pub)
		for _, tp := range curve.EIGHT_TORSION {
			var c curve.CompressedEdwardsY
			if _, err := c.SetBytes(pub); err != nil {
				t.Fatal(err)
			}
			var p curve.EdwardsPoint
			if _, err := p.SetCompressedY(&c); err != nil {
				t.Fatal(err)
			}
			p.Add(&p, tp)
			c.SetEdwardsPoint(&p)
			keys = append(keys, append([]byte(nil), c[:]...))
		}
	}
	for _, tp := range curve.EIGHT_TORSION {
		var c curve.CompressedEdwardsY
		c.SetEdwardsPoint(tp)
		keys = append(keys, append([]byte(nil), c[:]...))
	}
	for range 2000 {
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		keys = append(keys, b)
	}
	good := 0
	for _, k := range keys {
		err := Check(k)
		if want := voiAccepts(k); (err == nil) != want {
			t.Errorf("%x: Check = %v, voi accepts = %v", k, err, want)
		}
		if err != nil && !errors.Is(err, ErrWeakKey) {
			t.Errorf("%x: %v does not wrap ErrWeakKey", k, err)
		}
		if err == nil {
			good++
		}
	}
	if good < 32 {
		t.Errorf("only %d keys accepted: the real keys must be", good)
	}
	if err := Check(make([]byte, 31)); !errors.Is(err, ErrWeakKey) {
		t.Errorf("31 bytes: %v", err)
	}
}
