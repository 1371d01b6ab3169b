package verify

import (
	"github.com/oasisprotocol/curve25519-voi/curve"

	"markd/mark"
)

// Batches of Ed25519 signatures are checked with curve25519-voi's curve
// arithmetic (keybatch.go): the issuer's public key is decompressed once
// per keyring key; a batch checks the cofactored equation (batch.go).
// Single checks, crypto/ed25519's rule to the letter, use the comb
// (edcomb.go).

// batchPoint is an Ed25519 public key decompressed for batches, or nil
// when it may not enter a batch. It may when it is a canonical encoding
// of a point of the prime-order subgroup (not the identity): for such a
// key the batch's cofactored equation and crypto/ed25519's agree on every
// signature that the key's holder did not craft (batch.go). Checked once
// per keyring key.
func batchPoint(pub []byte) *curve.EdwardsPoint {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(pub); err != nil || !c.IsCanonicalVartime() {
		return nil
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return nil
	}
	if !p.IsTorsionFree() || p.IsSmallOrder() {
		return nil
	}
	return &p
}

// batch reports whether the key's signatures may be checked in a batch.
func (k *Key) batch() bool { return k.Alg == mark.AlgEd25519 && k.edA != nil && k.single != nil }
