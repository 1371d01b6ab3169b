package verify

import (
	"github.com/oasisprotocol/curve25519-voi/curve"
	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"markd/mark"
)

// Batches of Ed25519 signatures are checked with curve25519-voi
// (batch.go): the issuer's public key is decompressed and expanded into
// tables once per keyring key; a batch checks the cofactored equation
// (batch.go). Single checks, crypto/ed25519's rule to the letter, use the
// comb (edcomb.go).

// expandEd25519 expands a 32-byte public key for voi's batch verifier, or
// returns nil when it is not a point of the curve.
func expandEd25519(pub []byte) *voied.ExpandedPublicKey {
	k, err := voied.NewExpandedPublicKey(voied.PublicKey(pub))
	if err != nil {
		return nil
	}
	return k
}

// batchable reports whether an Ed25519 public key may enter a batch: a
// canonical encoding of a point of the prime-order subgroup (not the
// identity). For such a key the batch's cofactored equation and
// crypto/ed25519's agree on every signature that the key's holder did not
// craft (batch.go). Checked once per keyring key.
func batchable(pub []byte) bool {
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

// batch reports whether the key's signatures may be checked in a batch.
func (k *Key) batch() bool { return k.Alg == mark.AlgEd25519 && k.edBatch }
