package testdata

import (
	"crypto/sha512"

	"filippo.io/edwards25519"

	"markd/mark"
)

// IdentityForgery "signs" body for the identity point as an Ed25519 key
// without any private key: R = [s]B, S = s, with s from the body's hash,
// verifies under that key by RFC 8032 and crypto/ed25519 whatever the
// message (the weak key markd distrusts: docs/notes/spec-audit.md item 10).
func IdentityForgery(body []byte) [mark.SigSize]byte {
	h := sha512.Sum512(body)
	s, err := new(edwards25519.Scalar).SetUniformBytes(h[:])
	if err != nil {
		panic(err) // 64 bytes always reduce
	}
	var sig [mark.SigSize]byte
	copy(sig[:32], new(edwards25519.Point).ScalarBaseMult(s).Bytes())
	copy(sig[32:], s.Bytes())
	return sig
}
