package verify

import (
	"bytes"
	"crypto/sha512"
	"sync"
	"unsafe"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// A single Ed25519 check computes R′ = [S]B − [k]A and compares its
// encoding with the signature's R. Both points are fixed for a keyring
// key: B always, A for as long as the key is in force. So both products
// are taken from tables of precomputed multiples (a comb with 6-bit signed
// digits: 43 additions a product, no doublings) instead of a double-scalar
// multiplication with ~253 doublings: about a third of the field work.
// With the caches cold, as after a scan's commit, a check costs 0.67–0.71
// of curve25519-voi's with its expanded key (8-bit digits: the same cold,
// three times the table; 4- and 5-bit: 0.93–0.95).
// The arithmetic is filippo.io/edwards25519's (the library inside
// crypto/ed25519): the same decoding of A, the same S < ℓ check, the same
// k, the same encoding of R′, so the rule is crypto/ed25519's to the letter
// (TestEd25519SameAsStdlib, FuzzEd25519SameAsStdlib). Everything here is
// public (key, message, signature), so variable time is no leak.

// niels is a point in affine Niels form: y+x, y−x, 2d·x·y.
type niels struct{ ypx, ymx, xy2d field.Element }

// combBits is the width of a digit: a product takes combPos additions
// from a table of combPos × combHalf points (120 bytes each: 161 KiB).
const (
	combBits = 6
	combPos  = (253 + combBits - 1) / combBits
	combHalf = 1 << (combBits - 1)
)

// comb holds j·2^(combBits·i)·P for i < combPos and j = 1..combHalf.
type comb [combPos][combHalf]niels

// edKey is an Ed25519 public key ready for single checks: its encoding as
// given (hashed into k) and −A's comb, built on the first check.
type edKey struct {
	raw   [32]byte
	negA  *edwards25519.Point
	once  sync.Once
	table *comb
}

var (
	baseOnce sync.Once
	baseComb *comb
	curveD2  field.Element // 2d, d = −121665/121666
)

func init() {
	var num, den field.Element
	one := new(field.Element).One()
	num.Mult32(one, 121665)
	num.Negate(&num)
	den.Mult32(one, 121666)
	den.Invert(&den)
	curveD2.Multiply(&num, &den)
	curveD2.Add(&curveD2, &curveD2)
}

// newEdKey decodes pub as crypto/ed25519 does, or returns nil when it is
// not a point (crypto/ed25519 verifies nothing with such a key).
func newEdKey(pub []byte) *edKey {
	if len(pub) != 32 {
		return nil
	}
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil
	}
	k := &edKey{negA: new(edwards25519.Point).Negate(a)}
	copy(k.raw[:], pub)
	return k
}

// verify is crypto/ed25519.Verify(k, msg, sig).
func (k *edKey) verify(msg, sig []byte) bool {
	if k == nil || len(sig) != 64 || sig[63]&224 != 0 {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.raw[:])
	h.Write(msg)
	var digest [64]byte
	kh, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		return false
	}
	k.once.Do(func() { k.table = newComb(k.negA) })
	baseOnce.Do(func() { baseComb = newComb(edwards25519.NewGeneratorPoint()) })
	var ds, dk combDigits
	ds.set(s.Bytes())
	dk.set(kh.Bytes())
	// After a scan's commit the tables are out of the core's caches: load
	// the 86 entries the digits pick all at once (independent loads the
	// CPU overlaps) instead of one miss after another inside the additions.
	keep(ds.touch(baseComb) ^ dk.touch(k.table))
	var r extPoint
	r.identity()
	r.addComb(baseComb, &ds)
	r.addComb(k.table, &dk)
	var enc [32]byte
	r.encode(&enc)
	return bytes.Equal(enc[:], sig[:32])
}

// extPoint is a point in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
// x·y = T/Z.
type extPoint struct{ X, Y, Z, T field.Element }

func (p *extPoint) identity() {
	p.X.Zero()
	p.Y.One()
	p.Z.One()
	p.T.Zero()
}

// combDigits are a scalar's signed digits, −combHalf ≤ d < combHalf.
type combDigits [combPos]int8

// set computes the digits of n (32 bytes, little endian, < 2^253: a
// canonical scalar leaves no carry out of the last digit).
func (ds *combDigits) set(n []byte) {
	const mask = 1<<combBits - 1
	carry := 0
	for i := range ds {
		bit := i * combBits
		w := int(n[bit/8]) >> (bit % 8)
		if bit/8+1 < 32 {
			w |= int(n[bit/8+1]) << (8 - bit%8)
		}
		v := w&mask + carry
		carry = (v + combHalf) >> combBits
		ds[i] = int8(v - carry<<combBits)
	}
}

// keep uses x, so that the loads that made it are not optimised away.
//
//go:noinline
func keep(x uint64) {}

// touch reads one word of every cache line of each entry of c the digits
// select (an entry is 120 bytes: three lines at most) and returns them
// folded together.
func (ds *combDigits) touch(c *comb) uint64 {
	var x uint64
	for i, d := range ds {
		if d == 0 {
			continue
		}
		if d < 0 {
			d = -d
		}
		e := &c[i][d-1]
		x ^= word(unsafe.Pointer(&e.ypx), 0) ^ word(unsafe.Pointer(&e.ymx), 16) ^ word(unsafe.Pointer(&e.xy2d), 32)
	}
	return x
}

// word is the 8 bytes at p+off.
func word(p unsafe.Pointer, off uintptr) uint64 { return *(*uint64)(unsafe.Add(p, off)) }

// addComb adds [n]P for the scalar whose digits are ds, from P's comb c.
func (p *extPoint) addComb(c *comb, ds *combDigits) {
	for i, d := range ds {
		switch {
		case d > 0:
			p.addNiels(&c[i][d-1], false)
		case d < 0:
			p.addNiels(&c[i][-d-1], true)
		}
	}
}

// addNiels sets p = p + q (or p − q), the mixed addition of ref10's
// ge_madd/ge_msub followed by the completed → extended conversion.
func (p *extPoint) addNiels(q *niels, neg bool) {
	var a, b, c, d, e, f, g, h field.Element
	a.Add(&p.Y, &p.X)
	b.Subtract(&p.Y, &p.X)
	if neg {
		a.Multiply(&a, &q.ymx)
		b.Multiply(&b, &q.ypx)
	} else {
		a.Multiply(&a, &q.ypx)
		b.Multiply(&b, &q.ymx)
	}
	c.Multiply(&q.xy2d, &p.T)
	if neg {
		c.Negate(&c)
	}
	d.Add(&p.Z, &p.Z)
	e.Subtract(&a, &b)
	h.Add(&a, &b)
	g.Add(&d, &c)
	f.Subtract(&d, &c)
	p.X.Multiply(&e, &f)
	p.Y.Multiply(&g, &h)
	p.Z.Multiply(&f, &g)
	p.T.Multiply(&e, &h)
}

// encode writes the point's 32-byte encoding (y, the sign of x on top).
func (p *extPoint) encode(out *[32]byte) {
	var zinv, x, y field.Element
	zinv.Invert(&p.Z)
	x.Multiply(&p.X, &zinv)
	y.Multiply(&p.Y, &zinv)
	copy(out[:], y.Bytes())
	out[31] |= byte(x.IsNegative() << 7)
}

// newComb builds the comb of P: the 1376 multiples in extended form,
// then one batch inversion of their Z into affine Niels form.
func newComb(p *edwards25519.Point) *comb {
	const n = combPos * combHalf
	pts := make([]edwards25519.Point, n)
	base := new(edwards25519.Point).Set(p)
	for i := 0; i < combPos; i++ {
		acc := new(edwards25519.Point).Set(base)
		for j := 0; j < combHalf; j++ {
			pts[i*combHalf+j].Set(acc)
			acc.Add(acc, base)
		}
		for k := 0; k < combBits; k++ {
			base.Add(base, base)
		}
	}
	// Batch inversion (Montgomery's trick): prefix products of Z, one
	// inversion, then each Z⁻¹ from the running inverse.
	zs := make([]field.Element, n)
	prefix := make([]field.Element, n)
	var run field.Element
	run.One()
	for i := range pts {
		_, _, z, _ := pts[i].ExtendedCoordinates()
		zs[i].Set(z)
		prefix[i].Set(&run)
		run.Multiply(&run, z)
	}
	run.Invert(&run)
	c := new(comb)
	for i := n - 1; i >= 0; i-- {
		var zinv, x, y field.Element
		zinv.Multiply(&run, &prefix[i]) // 1/z_i
		run.Multiply(&run, &zs[i])
		X, Y, _, _ := pts[i].ExtendedCoordinates()
		x.Multiply(X, &zinv)
		y.Multiply(Y, &zinv)
		e := &c[i/combHalf][i%combHalf]
		e.ypx.Add(&y, &x)
		e.ymx.Subtract(&y, &x)
		e.xy2d.Multiply(&x, &y)
		e.xy2d.Multiply(&e.xy2d, &curveD2)
	}
	return c
}
