package specoracle

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/verify"
)

// TestEdgeListsIdentityKeyDistrusted: docs/notes/spec-audit.md item 10,
// decided. The edge lists hold the identity point as key 9; markd and the
// oracle both said ACCEPT to a mark anyone forged for it. markd now loads
// the lists with that key distrusted (naming the file, the key and why),
// and the oracle models the decision (sigOK, weakEd25519): the forgery is
// REJECT [BAD_SIGNATURE] on both sides; the differential tests over the
// edge lists compare every other mark of key 9 the same way.
func TestEdgeListsIdentityKeyDistrusted(t *testing.T) {
	dir := testdata.Dir(t)
	w := edgeWorld(t, dir)
	if k, ok := w.o.keys[9]; !ok || !k.distrusted {
		t.Fatalf("the oracle does not hold key 9 distrusted: %v %+v", ok, k)
	}
	for id, k := range w.o.keys {
		if id != 9 && k.distrusted {
			t.Errorf("the oracle distrusts key %d", id)
		}
	}
	v, err := verify.LoadFiles(w.keyring, w.tariffs, w.revo)
	if err != nil {
		t.Fatalf("edge lists with the identity key refused: %v", err)
	}
	d := v.Keyring().Distrusted()
	if len(d) != 1 || !errors.Is(d[0], verify.ErrWeakKey) {
		t.Fatalf("distrusted %v, want key 9", d)
	}
	for _, want := range []string{w.keyring, "(id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1"} {
		if !strings.Contains(d[0].Error(), want) {
			t.Errorf("%q does not name %q", d[0], want)
		}
	}

	// The forgery is one: crypto/ed25519 verifies it under the identity.
	f := oFields{version: 1, alg: 1, keyID: 9, serial: 7100000002, contract: 1, class: 1, weight: 20,
		tariff: 1000, office: scenes[0].office, issued: parseDate(t, "2026-01-01"), until: parseDate(t, "2030-12-31")}
	body := encodeBody(f)
	sig := w.s.sign(t, 9, body)
	if !ed25519.Verify(append([]byte{1}, make([]byte, 31)...), append([]byte("RU-EPM-v1\x00"), body...), sig) {
		t.Fatal("the forged signature does not verify under the identity key: the test is broken")
	}
	want, got := judgeBoth(t, w, loadVerifier(t, w), scenes[0], encodeText(body, sig))
	bad := rejectWith("BAD_SIGNATURE")
	for side, r := range map[string]oResult{"oracle": want, "markd": got} {
		if r.verdict != bad.verdict || !slices.Equal(r.reasons, bad.reasons) {
			t.Errorf("%s: forged mark for key 9 is %s %v, want REJECT [BAD_SIGNATURE]", side, r.verdict, r.reasons)
		}
	}
}

// TestOracleWeakKeyRuleAgrees: the oracle's weakEd25519 and markd's
// keyring loader distrust the same keys: 300 random 32-byte strings (about
// 15 in 16 are no point or of mixed order) and 20 real keys.
func TestOracleWeakKeyRuleAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2026))
	weak := 0
	for i := range 320 {
		pub := make([]byte, 32)
		if i < 300 {
			for j := range pub {
				pub[j] = byte(rng.Uint32())
			}
		} else {
			seed := make([]byte, 32)
			seed[0] = byte(i)
			pub = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		}
		data := "keys:\n  - {id: 1, alg: ed25519, public: " + base64.StdEncoding.EncodeToString(pub) + ", valid_from: 2025-01-01, valid_until: 2030-12-31}\n"
		k, err := verify.ParseKeyring("ring.yaml", []byte(data))
		if err != nil {
			t.Fatalf("%x: %v", pub, err)
		}
		if markd, oracle := len(k.Distrusted()) == 1, weakEd25519(pub); markd != oracle {
			t.Errorf("%x: markd distrusts it: %v, the oracle: %v", pub, markd, oracle)
		} else if oracle {
			weak++
		}
	}
	if weak < 200 || weak > 300 {
		t.Errorf("%d of 320 keys weak: the sample is not what it should be", weak)
	}
}
