package verify

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"markd/mark"
)

// smallOrderHex are the canonical encodings of the 8 points of small
// order (libsodium's ge25519_has_small_order list, RFC 8032 test lore):
// the identity, the point of order 2, the two of order 4, the four of
// order 8.
var smallOrderHex = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = −1, order 2
	"0000000000000000000000000000000000000000000000000000000000000000", // y = 0, order 4
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

// weakKeyCase is one Ed25519 public key for the keyring loader, and what
// the refusal must say (empty: the key loads).
type weakKeyCase struct {
	name string
	pub  []byte
	why  string
}

func weakKeyCases(t testing.TB) []weakKeyCase {
	t.Helper()
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	var cs []weakKeyCase
	orders := []int{1, 2, 4, 4, 8, 8, 8, 8}
	for i, h := range smallOrderHex {
		cs = append(cs, weakKeyCase{fmt.Sprintf("small order %d (#%d)", orders[i], i), unhex(h), fmt.Sprintf("small order %d", orders[i])})
	}
	nonCanon := []struct{ name, hex string }{
		{"identity, x = 0 with the sign bit", "0100000000000000000000000000000000000000000000000000000000000080"},
		{"identity as y = p + 1", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{"order 4 as y = p", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{"order 2, x = 0 with the sign bit", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
		{"y = p + 3 (a point of large order)", "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	}
	for _, n := range nonCanon {
		cs = append(cs, weakKeyCase{"non-canonical " + n.name, unhex(n.hex), "not the canonical encoding"})
	}
	// A' + T: the good key plus a point of order 8.
	a, err := new(edwards25519.Point).SetBytes(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range smallOrderHex[1:] {
		tp, err := new(edwards25519.Point).SetBytes(unhex(h))
		if err != nil {
			t.Fatal(err)
		}
		mixed := new(edwards25519.Point).Add(a, tp).Bytes()
		cs = append(cs, weakKeyCase{"mixed order, good key + " + h[:8], mixed, "small-order component"})
	}
	cs = append(cs,
		weakKeyCase{"not on the curve (y = 2)", append([]byte{2}, make([]byte, 31)...), "not a point of the curve"},
		weakKeyCase{"not on the curve (y = p + 2)", unhex("efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), "not a point of the curve"},
		weakKeyCase{"good key", good, ""},
		weakKeyCase{"shared test key", mustB64(t, "HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc="), ""},
	)
	return cs
}

func mustB64(t testing.TB, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyringDistrustsWeakEd25519Keys: a keyring holding an Ed25519 key
// of small order, with a small-order component, not canonically encoded
// or not a point at all loads, with that key distrusted
// (docs/notes/spec-audit.md item 10, decided: per key): the key stays in
// the keyring (its marks are not UNKNOWN_KEY) but no signature verifies
// under it, single or in a batch; Distrusted names the file, the entry
// and id, the key and why; a good key beside it changes nothing. The
// decision agrees with curve25519-voi's (batchPoint: the keys that may
// enter a batch).
func TestKeyringDistrustsWeakEd25519Keys(t *testing.T) {
	const good = "  - {id: 1, alg: ed25519, public: HVsPDCCy5PbkZGC745xJtKmV+YwaFV7V7pe/5dvc9Zc=, valid_from: 2025-01-01, valid_until: 2027-12-31}\n"
	forged := identityForgery(t, make([]byte, mark.BodySize))
	for _, c := range weakKeyCases(t) {
		t.Run(c.name, func(t *testing.T) {
			pub := base64.StdEncoding.EncodeToString(c.pub)
			data := "keys:\n" + good + "  - {id: 9, alg: ed25519, public: " + pub + ", valid_from: 2025-01-01, valid_until: 2030-12-31}\n"
			k, err := ParseKeyring("/lists/ring.yaml", []byte(data))
			if voi := batchPoint(c.pub) != nil; voi != (c.why == "") {
				t.Errorf("curve25519-voi says batchable = %v", voi)
			}
			if err != nil || k.Len() != 2 {
				t.Fatalf("keyring with %x: %v", c.pub, err)
			}
			key, ok := k.Key(9)
			if !ok || key.Alg != mark.AlgEd25519 {
				t.Fatalf("key 9 not in the keyring as an ed25519 key: %v %+v", ok, key)
			}
			d := k.Distrusted()
			if c.why == "" {
				if len(d) != 0 || key.Distrusted() != nil || !key.batch() {
					t.Fatalf("a good key distrusted: %v, %v", d, key.Distrusted())
				}
				return
			}
			if len(d) != 1 || key.Distrusted() == nil {
				t.Fatalf("keyring with %x: distrusted %v, key %v; want key 9 distrusted", c.pub, d, key.Distrusted())
			}
			if !errors.Is(d[0], ErrWeakKey) || errors.Is(d[0], mark.ErrInvalid) {
				t.Errorf("distrusted %v: want ErrWeakKey, not mark.ErrInvalid (the keyring loads)", d[0])
			}
			for _, w := range []string{"/lists/ring.yaml", "keys[1] (id 9)", pub, c.why} {
				if !strings.Contains(d[0].Error(), w) {
					t.Errorf("%q does not name %q", d[0], w)
				}
			}
			if key.batch() {
				t.Error("a distrusted key may enter a batch")
			}
			var body [mark.BodySize]byte
			body[3] = 9
			if key.verify(body, forged) {
				t.Error("a signature verified under a distrusted key")
			}
		})
	}
}

// identityForgery "signs" body for the identity key without any private
// key: R = [s]B, S = s verifies by RFC 8032 and crypto/ed25519.
func identityForgery(t testing.TB, body []byte) [mark.SigSize]byte {
	t.Helper()
	h := sha512.Sum512(body)
	s, err := new(edwards25519.Scalar).SetUniformBytes(h[:])
	if err != nil {
		t.Fatal(err)
	}
	var sig [mark.SigSize]byte
	copy(sig[:32], new(edwards25519.Point).ScalarBaseMult(s).Bytes())
	copy(sig[32:], s.Bytes())
	if !ed25519.Verify(append([]byte{1}, make([]byte, 31)...), []byte("any message"), sig[:]) {
		t.Fatal("the forgery does not verify with crypto/ed25519: the test is broken")
	}
	return sig
}
