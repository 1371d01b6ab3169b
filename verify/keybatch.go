package verify

import (
	"crypto/rand"
	"crypto/sha512"
	"sync"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"

	"markd/decode"
)

// The batch equation with the terms of one key merged (issue 12, import).
// For n signatures (R_i, s_i) under keys A_i with k_i = H(R_i‖A_i‖M_i)
// and random 128-bit z_i, curve25519-voi's batch verifier checks
//
//	[8]([−Σ z_i s_i]B + Σ [z_i]R_i + Σ [z_i k_i]A_i) = 0
//
// as one multi-scalar product of 2n+1 points, n of them A terms with a
// full-width scalar. An import's marks are nearly all signed by one
// issuer key, so the A terms of one key are summed into one:
// [Σ_{A_i = A} z_i k_i]A. The product then has n + 1 + (distinct keys)
// points, and the full-width ones are only B and the keys. The equation is
// the same (the terms are equal as points), so what it accepts is what
// voi's batch accepts: the cofactored equation, R and S canonical
// (S < ℓ, R's y < p), any R on the curve including small-order ones, keys
// only as Key.batch admits them (batch.go says where this and
// crypto/ed25519's rule part).

// edBatch is one batch being assembled: B, the distinct keys, every R.
// Its slices are kept for the next batch (edBatches): a batch of 1000
// needs ~230 KiB, and fresh memory for each cost page faults and garbage
// collection in markd import (docs/notes/perf.md).
type edBatch struct {
	keys    []*Key // distinct keys, in order of first use
	points  []*curve.EdwardsPoint
	scalars []*scalar.Scalar
	rs      []curve.EdwardsPoint // the decompressed R of each signature
	zs      []scalar.Scalar      // z_i, the scalar of R_i
	kcoef   []scalar.Scalar      // Σ z_i k_i of each key
	bcoef   scalar.Scalar        // Σ z_i s_i
	rnd     []byte               // 16 random bytes for each z_i
}

var edBatches = sync.Pool{New: func() any { return new(edBatch) }}

// reset readies b for n signatures.
func (b *edBatch) reset(n int) {
	b.keys, b.kcoef, b.bcoef = b.keys[:0], b.kcoef[:0], scalar.Scalar{}
	if cap(b.rs) < n {
		b.rs, b.zs, b.rnd = make([]curve.EdwardsPoint, n), make([]scalar.Scalar, n), make([]byte, 16*n)
		b.points, b.scalars = make([]*curve.EdwardsPoint, 0, n+4), make([]*scalar.Scalar, 0, n+4)
	}
	b.rs, b.zs, b.rnd = b.rs[:n], b.zs[:n], b.rnd[:16*n]
	b.points, b.scalars = b.points[:0], b.scalars[:0]
}

// batchValid reports whether every signature of cs[idx] verifies, as one
// batch (random coefficients from crypto/rand); every key must be
// batchable (Key.batch).
func batchValid(cs []sigCheck, idx []int) bool {
	n := len(idx)
	if n == 0 {
		return false
	}
	b := edBatches.Get().(*edBatch)
	b.reset(n)
	ok := b.valid(cs, idx)
	clear(b.keys[:cap(b.keys)]) // the pool holds no key (nor, below, its point)
	clear(b.points[:cap(b.points)])
	edBatches.Put(b)
	return ok
}

// valid is batchValid with b's buffers.
func (b *edBatch) valid(cs []sigCheck, idx []int) bool {
	if _, err := rand.Read(b.rnd); err != nil {
		panic("verify: crypto/rand failed: " + err.Error())
	}
	var random [16]byte
	var h [64]byte
	var k, t, s scalar.Scalar
	sh := sha512.New()
	for j, i := range idx {
		c := &cs[i]
		if !scalar.ScMinimalVartime(c.sig[32:]) {
			return false
		}
		var rc curve.CompressedEdwardsY
		if _, err := rc.SetBytes(c.sig[:32]); err != nil || !rc.IsCanonicalVartime() {
			return false
		}
		if _, err := b.rs[j].SetCompressedY(&rc); err != nil {
			return false
		}
		if _, err := s.SetBits(c.sig[32:]); err != nil {
			return false
		}
		msg := decode.Message(c.body)
		sh.Reset()
		sh.Write(c.sig[:32])
		sh.Write(c.key.single.raw[:])
		sh.Write(msg[:])
		sh.Sum(h[:0])
		if _, err := k.SetBytesModOrderWide(h[:]); err != nil {
			return false
		}
		// z_i: a random 128-bit integer, 2^128 for 0 (as voi's scalar128).
		copy(random[:], b.rnd[16*j:])
		var zb [32]byte
		copy(zb[:16], random[:])
		if random == [16]byte{} {
			zb[16] = 1
		}
		z := &b.zs[j]
		if _, err := z.SetBits(zb[:]); err != nil {
			return false
		}
		b.bcoef.Add(&b.bcoef, t.Mul(z, &s))
		kc := b.keyCoef(c.key)
		kc.Add(kc, t.Mul(z, &k))
	}
	b.bcoef.Neg(&b.bcoef)
	b.points = append(b.points, curve.ED25519_BASEPOINT_POINT)
	b.scalars = append(b.scalars, &b.bcoef)
	for j, key := range b.keys {
		b.points = append(b.points, key.edA)
		b.scalars = append(b.scalars, &b.kcoef[j])
	}
	for j := range b.rs {
		b.points = append(b.points, &b.rs[j])
		b.scalars = append(b.scalars, &b.zs[j])
	}
	var sum curve.EdwardsPoint
	return sum.MultiscalarMulVartime(b.scalars, b.points).IsSmallOrder()
}

// keyCoef is the scalar of key's A term, a new one on its first use.
func (b *edBatch) keyCoef(key *Key) *scalar.Scalar {
	for j, k := range b.keys {
		if k == key {
			return &b.kcoef[j]
		}
	}
	b.keys = append(b.keys, key)
	b.kcoef = append(b.kcoef, scalar.Scalar{})
	return &b.kcoef[len(b.kcoef)-1]
}
