package verify

import (
	"github.com/oasisprotocol/curve25519-voi/curve"
	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"markd/mark"
)

// Ed25519 signatures are checked with curve25519-voi instead of
// crypto/ed25519: the issuer's public key is decompressed and expanded
// into tables once per keyring key (crypto/ed25519 decompresses it on
// every call and has no tables), which halves the cost of a check
// (docs/notes/perf.md). The options are voi's "StdLib" set, which is
// crypto/ed25519's verification rule to the letter: the cofactorless
// equation with R compared byte for byte, S < ℓ, any encoding of A that
// decodes; TestEd25519SameAsStdlib holds the two side by side.
var stdlibOptions = &voied.Options{Verify: voied.VerifyOptionsStdLib}

// expandEd25519 expands a 32-byte public key, or returns nil when it is
// not a point of the curve (crypto/ed25519 verifies nothing with it).
func expandEd25519(pub []byte) *voied.ExpandedPublicKey {
	k, err := voied.NewExpandedPublicKey(voied.PublicKey(pub))
	if err != nil {
		return nil
	}
	return k
}

// verifyEd25519 is crypto/ed25519.Verify with an expanded key.
func verifyEd25519(k *voied.ExpandedPublicKey, msg, sig []byte) bool {
	if k == nil || len(sig) != voied.SignatureSize {
		return false
	}
	return voied.VerifyExpandedWithOptions(k, msg, sig, stdlibOptions)
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
