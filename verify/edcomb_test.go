package verify

import (
	"crypto/ed25519"
	"testing"

	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// TestEdCombManyKeys: valid signatures of many keys and messages verify,
// and each fails under another key (every digit position of both combs
// is used across them).
func TestEdCombManyKeys(t *testing.T) {
	var prev *edKey
	for i := 0; i < 40; i++ {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		k := newEdKey(pub)
		for j := 0; j < 5; j++ {
			msg := []byte{byte(i), byte(j), 'm'}
			sig := ed25519.Sign(priv, msg)
			if !k.verify(msg, sig) {
				t.Fatalf("key %d message %d: a valid signature failed", i, j)
			}
			if prev != nil && prev.verify(msg, sig) {
				t.Fatalf("key %d message %d: verified under another key", i, j)
			}
		}
		prev = k
	}
}

// BenchmarkEdComb is one single check with the key's comb built;
// BenchmarkEdVoiExpanded the same with curve25519-voi's expanded key and
// crypto/ed25519's rule (what single checks used before the comb).
func BenchmarkEdComb(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 120)
	sig := ed25519.Sign(priv, msg)
	k := newEdKey(pub)
	k.verify(msg, sig)
	b.ResetTimer()
	for b.Loop() {
		if !k.verify(msg, sig) {
			b.Fatal("failed")
		}
	}
}

func BenchmarkEdVoiExpanded(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 120)
	sig := ed25519.Sign(priv, msg)
	k := expandEd25519(pub)
	for b.Loop() {
		if !voied.VerifyExpandedWithOptions(k, msg, sig, &voied.Options{Verify: voied.VerifyOptionsStdLib}) {
			b.Fatal("failed")
		}
	}
}

// BenchmarkEdCombBuild is the first check's extra cost: one key's comb.
func BenchmarkEdCombBuild(b *testing.B) {
	pub, _, _ := ed25519.GenerateKey(nil)
	k := newEdKey(pub)
	for b.Loop() {
		newComb(k.negA)
	}
}
