package verify

import (
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"sort"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"markd/decode"
	"markd/mark"
)

// expandEd25519 expands a 32-byte public key for voi's own verifiers, or
// returns nil when it is not a point of the curve: the reference the
// batch equation and the comb are compared with.
func expandEd25519(pub []byte) *voied.ExpandedPublicKey {
	k, err := voied.NewExpandedPublicKey(voied.PublicKey(pub))
	if err != nil {
		return nil
	}
	return k
}

// testKey is an Ed25519 key made from a one-byte seed, as the keyring
// loads it, with its private key.
func testKey(t testing.TB, seed byte) (*Key, ed25519.PrivateKey) {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0], s[1] = seed, 0x5a
	priv := ed25519.NewKeyFromSeed(s)
	pub := priv.Public().(ed25519.PublicKey)
	k := &Key{Alg: mark.AlgEd25519, single: newEdKey(pub), edA: batchPoint(pub)}
	if !k.batch() {
		t.Fatal("a generated key is not batchable")
	}
	return k, priv
}

// signedChecks is n signatures of random bodies, the i-th by keys[i%len].
func signedChecks(t testing.TB, rng *mrand.Rand, n int, keys []*Key, privs []ed25519.PrivateKey) []sigCheck {
	t.Helper()
	cs := make([]sigCheck, n)
	for i := range cs {
		c := &cs[i]
		c.key = keys[i%len(keys)]
		for j := range c.body {
			c.body[j] = byte(rng.Uint32())
		}
		msg := decode.Message(c.body)
		copy(c.sig[:], ed25519.Sign(privs[i%len(privs)], msg[:]))
	}
	return cs
}

// voiBatchValid is curve25519-voi's own batch verifier on cs[idx], with
// its default (cofactored) options: the reference.
func voiBatchValid(cs []sigCheck, idx []int) bool {
	bv := voied.NewBatchVerifierWithCapacity(len(idx))
	for _, i := range idx {
		msg := decode.Message(cs[i].body)
		bv.AddExpandedWithOptions(expandEd25519(cs[i].key.single.raw[:]), msg[:], cs[i].sig[:], &voied.Options{})
	}
	return bv.VerifyBatchOnly(nil)
}

// BenchmarkBatchEquation: one batch of n valid signatures under one key,
// per signature: the merged equation (batchValid) against voi's batch
// verifier (each key expanded once, as the keyring did before).
func BenchmarkBatchEquation(b *testing.B) {
	k, priv := testKey(b, 1)
	exp := expandEd25519(k.single.raw[:])
	for _, n := range []int{64, 256, 1000} {
		cs := signedChecks(b, mrand.New(mrand.NewPCG(1, 2)), n, []*Key{k}, []ed25519.PrivateKey{priv})
		idx := seq(n)
		b.Run(fmt.Sprintf("merged/%d", n), func(b *testing.B) {
			for b.Loop() {
				if !batchValid(cs, idx) {
					b.Fatal("valid batch refused")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/sig")
		})
		b.Run(fmt.Sprintf("voi/%d", n), func(b *testing.B) {
			for b.Loop() {
				bv := voied.NewBatchVerifierWithCapacity(n)
				for i := range cs {
					msg := decode.Message(cs[i].body)
					bv.AddExpandedWithOptions(exp, msg[:], cs[i].sig[:], &voied.Options{})
				}
				if !bv.VerifyBatchOnly(nil) {
					b.Fatal("valid batch refused")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/sig")
		})
	}
}

// mutation changes one signature check of a batch.
type mutation func(t testing.TB, c *sigCheck, rng *mrand.Rand)

// mutations are the ways a signature in a batch is made hostile: forged
// (a bit of R, S or the body flipped), S not canonical (S + ℓ, the top
// bits set), R not a point, R of small order, R not canonically encoded,
// torsion added to R, another key's signature.
func mutations(t testing.TB) map[string]mutation {
	t.Helper()
	notOnCurve := pointNotOnCurve(t)
	var smallOrder [][]byte
	for _, tp := range curve.EIGHT_TORSION {
		var enc curve.CompressedEdwardsY
		enc.SetEdwardsPoint(tp)
		smallOrder = append(smallOrder, enc[:])
	}
	nonCanonical := nonCanonicalPoints(t)
	_, otherPriv := testKey(t, 99)
	return map[string]mutation{
		"R bit flipped": func(_ testing.TB, c *sigCheck, rng *mrand.Rand) { c.sig[rng.IntN(32)] ^= 1 << rng.IntN(8) },
		"S bit flipped": func(_ testing.TB, c *sigCheck, rng *mrand.Rand) {
			c.sig[32+rng.IntN(31)] ^= 1 << rng.IntN(8)
		},
		"body bit flipped": func(_ testing.TB, c *sigCheck, rng *mrand.Rand) { c.body[rng.IntN(len(c.body))] ^= 1 << rng.IntN(8) },
		"S + ℓ":            func(_ testing.TB, c *sigCheck, _ *mrand.Rand) { addOrder(c.sig[32:]) },
		"S top bits set":   func(_ testing.TB, c *sigCheck, rng *mrand.Rand) { c.sig[63] |= 0x20 << rng.IntN(3) },
		"R not on the curve": func(_ testing.TB, c *sigCheck, _ *mrand.Rand) {
			copy(c.sig[:32], notOnCurve)
		},
		"R of small order": func(_ testing.TB, c *sigCheck, rng *mrand.Rand) {
			copy(c.sig[:32], smallOrder[rng.IntN(len(smallOrder))])
		},
		"R not canonical": func(_ testing.TB, c *sigCheck, rng *mrand.Rand) {
			copy(c.sig[:32], nonCanonical[rng.IntN(len(nonCanonical))])
		},
		"R plus torsion": func(t testing.TB, c *sigCheck, rng *mrand.Rand) {
			copy(c.sig[:32], addPoint(t, c.sig[:32], curve.EIGHT_TORSION[1+rng.IntN(7)]))
		},
		"another key's signature": func(_ testing.TB, c *sigCheck, _ *mrand.Rand) {
			msg := decode.Message(c.body)
			copy(c.sig[:], ed25519.Sign(otherPriv, msg[:]))
		},
	}
}

// pointNotOnCurve is a 32-byte encoding that decodes to no point.
func pointNotOnCurve(t testing.TB) []byte {
	t.Helper()
	for y := byte(2); y < 255; y++ {
		enc := make([]byte, 32)
		enc[0] = y
		var c curve.CompressedEdwardsY
		copy(c[:], enc)
		var p curve.EdwardsPoint
		if _, err := p.SetCompressedY(&c); err != nil {
			return enc
		}
	}
	t.Fatal("every small y is on the curve")
	return nil
}

// nonCanonicalPoints are the encodings y = p + k (k < 19) that decode to
// a point.
func nonCanonicalPoints(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for y := int64(0); y < 19; y++ {
		for _, sign := range []byte{0, 0x80} {
			enc := littleEndian(new(big.Int).Add(big.NewInt(y), fieldPrime()))
			enc[31] |= sign
			var c curve.CompressedEdwardsY
			copy(c[:], enc)
			var p curve.EdwardsPoint
			if _, err := p.SetCompressedY(&c); err == nil {
				out = append(out, enc)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no non-canonical encoding decodes")
	}
	return out
}

// sameAsEach checks cs with checkSignatures and holds every result
// against key.verify one by one; and the whole batch (batchValid) against
// curve25519-voi's batch verifier and against all of them verifying.
func sameAsEach(t *testing.T, cs []sigCheck) {
	t.Helper()
	ok := make([]bool, len(cs))
	checkSignatures(cs, ok)
	all := true
	for i := range cs {
		want := cs[i].key.verify(cs[i].body, cs[i].sig)
		if ok[i] != want {
			t.Fatalf("signature %d of %d: batch path %v, key.verify %v", i, len(cs), ok[i], want)
		}
		all = all && want
	}
	idx := seq(len(cs))
	got, voi := batchValid(cs, idx), voiBatchValid(cs, idx)
	if got != voi || got != all {
		t.Fatalf("%d signatures: batch equation %v, voi's batch %v, all verify one by one %v", len(cs), got, voi, all)
	}
}

// TestBatchEquationSameAsEach: batches of valid signatures under one or
// several keys, with hostile ones among them (each kind alone, several,
// all, mixed), judged by the batch path exactly as key.verify judges them
// one by one; the batch equation says what voi's batch verifier says.
func TestBatchEquationSameAsEach(t *testing.T) {
	keys, privs := testKeys(t, 3)
	muts, names := mutationsByName(t)
	type tc struct {
		name  string
		n     int
		keys  int
		muts  []string // applied at random positions
		every int      // and at every every-th signature, the first of muts
	}
	tests := []tc{
		{name: "valid, one key", n: 100, keys: 1},
		{name: "valid, three keys", n: 100, keys: 3},
		{name: "valid, few", n: 3, keys: 1},
		{name: "valid, one", n: 1, keys: 1},
		{name: "valid, at the split", n: 2 * minBatch, keys: 2},
		{name: "every third forged", n: 90, keys: 2, muts: []string{"S bit flipped"}, every: 3},
		{name: "all forged", n: 40, keys: 1, muts: []string{"body bit flipped"}, every: 1},
	}
	for _, name := range names {
		tests = append(tests,
			tc{name: name + ", one among 100, one key", n: 100, keys: 1, muts: []string{name}},
			tc{name: name + ", two among 64, three keys", n: 64, keys: 3, muts: []string{name, name}})
	}
	tests = append(tests, tc{name: "one of each, three keys", n: 128, keys: 3, muts: names})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := mrand.New(mrand.NewPCG(uint64(len(tt.name)), uint64(tt.n)))
			cs := signedChecks(t, rng, tt.n, keys[:tt.keys], privs[:tt.keys])
			for _, m := range tt.muts {
				muts[m](t, &cs[rng.IntN(len(cs))], rng)
			}
			for i := 0; tt.every > 0 && i < len(cs); i += tt.every {
				muts[tt.muts[0]](t, &cs[i], rng)
			}
			sameAsEach(t, cs)
		})
	}
}

// TestBatchEquationRandom: random batches (size, keys, hostile signatures
// of random kinds at random places) judged as key.verify judges them.
func TestBatchEquationRandom(t *testing.T) {
	keys, privs := testKeys(t, 4)
	muts, names := mutationsByName(t)
	rounds := 60
	if testing.Short() {
		rounds = 10
	}
	for r := range rounds {
		rng := mrand.New(mrand.NewPCG(uint64(r), 7))
		n, nk := 1+rng.IntN(200), 1+rng.IntN(len(keys))
		cs := signedChecks(t, rng, n, keys[:nk], privs[:nk])
		for range rng.IntN(4) {
			muts[names[rng.IntN(len(names))]](t, &cs[rng.IntN(n)], rng)
		}
		sameAsEach(t, cs)
	}
}

// FuzzBatchEquationSameAsEach: a batch of 40 valid signatures under two
// keys, changed as the fuzzer says (each pair of bytes: which signature,
// which change), one of them replaced by the fuzzer's own 64 bytes: the
// batch path judges each as key.verify, the equation as voi's batch.
func FuzzBatchEquationSameAsEach(f *testing.F) {
	k1, p1 := testKey(f, 1)
	k2, p2 := testKey(f, 2)
	base := signedChecks(f, mrand.New(mrand.NewPCG(3, 4)), 40, []*Key{k1, k2}, []ed25519.PrivateKey{p1, p2})
	muts := mutations(f)
	names := make([]string, 0, len(muts))
	for name := range muts {
		names = append(names, name)
	}
	sort.Strings(names)
	f.Add([]byte{}, []byte{})
	f.Add([]byte{3, 0, 17, 5}, make([]byte, 64))
	f.Add([]byte{0, 1, 39, 2, 20, 3, 21, 4, 22, 6, 23, 7}, base[5].sig[:])
	f.Fuzz(func(t *testing.T, ops, sig []byte) {
		cs := append([]sigCheck(nil), base...)
		rng := mrand.New(mrand.NewPCG(uint64(len(ops)), uint64(len(sig))))
		for i := 0; i+1 < len(ops); i += 2 {
			at := int(ops[i]) % len(cs)
			switch op := int(ops[i+1]); {
			case op < len(names):
				muts[names[op]](t, &cs[at], rng)
			case op < 128:
				cs[at].sig[op%64] ^= 1 << (op % 8)
			default:
				cs[at].key = []*Key{k1, k2}[op%2]
			}
		}
		if len(sig) == 64 {
			copy(cs[len(ops)%len(cs)].sig[:], sig)
		}
		sameAsEach(t, cs)
	})
}

// TestBatchEquationCraftedR: the key's holder signs with R the identity
// encoded as y = p + 1 (r = 0, S = k·a): the cofactored equation holds,
// crypto/ed25519 refuses it (R′ is encoded canonically). The batch must
// refuse it too, as voi's does: R must be canonical.
func TestBatchEquationCraftedR(t *testing.T) {
	key, priv := testKey(t, 5)
	h := sha512.Sum512(priv.Seed())
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	var a, k, s scalar.Scalar
	if _, err := a.SetBits(h[:32]); err != nil {
		t.Fatal(err)
	}
	cs := signedChecks(t, mrand.New(mrand.NewPCG(5, 5)), 2*minBatch, []*Key{key}, []ed25519.PrivateKey{priv})
	c := &cs[7]
	copy(c.sig[:32], littleEndian(new(big.Int).Add(big.NewInt(1), fieldPrime())))
	msg := decode.Message(c.body)
	hk := sha512.New()
	hk.Write(c.sig[:32])
	hk.Write(key.single.raw[:])
	hk.Write(msg[:])
	if _, err := k.SetBytesModOrderWide(hk.Sum(nil)); err != nil {
		t.Fatal(err)
	}
	if err := s.Mul(&k, &a).ToBytes(c.sig[32:]); err != nil {
		t.Fatal(err)
	}
	sameAsEach(t, cs)
}

// testKeys returns n test keys (seeds 1..n) and their private keys.
func testKeys(t *testing.T, n byte) ([]*Key, []ed25519.PrivateKey) {
	var keys []*Key
	var privs []ed25519.PrivateKey
	for s := byte(1); s <= n; s++ {
		k, p := testKey(t, s)
		keys, privs = append(keys, k), append(privs, p)
	}
	return keys, privs
}

// mutationsByName returns mutations and their names in order.
func mutationsByName(t *testing.T) (map[string]mutation, []string) {
	muts := mutations(t)
	names := make([]string, 0, len(muts))
	for name := range muts {
		names = append(names, name)
	}
	sort.Strings(names)
	return muts, names
}
