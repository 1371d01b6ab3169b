package hub_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"markd/bundle"
	"markd/decode"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// TestCheckerRefusesWeakKeyring: a stored bundle whose keyring holds the
// identity point as key 9 (as a markhub before the check published it;
// publish refuses it now) is not trusted: a mark anyone forged for key 9
// (R = [s]B, S = s, no private key) is unverified, not verified; the
// refusal names the bundle, the key id and why (docs/notes/spec-audit.md
// item 10); the keyring of the bundle before it stays in force.
// hubtestCreated is when bundle 2 was made (any fixed instant).
var hubtestCreated = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestCheckerRefusesWeakKeyring(t *testing.T) {
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, t.TempDir()+"/hub.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	priv := hubtest.Publish(t, s) // bundle 1: the test issuer's keyring
	ring, err := issuer.MarshalKeyring([]issuer.Key{hubtest.IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	ring = append(ring, "    - {id: 9, alg: ed25519, public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, valid_from: 2025-01-01, valid_until: 2030-12-31}\n"...)
	data, err := bundle.Sign(bundle.Contents{Version: 2, Created: hubtestCreated,
		Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(hubtest.Tariffs)}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBundle(ctx, 2, data, hubtestCreated); err != nil {
		t.Fatal(err)
	}

	good := hubtest.Rec("good", 426000, "1", mark.Accept, 5)
	forged := hubtest.Rec("forged", 426000, "1", mark.Accept, 6)
	m := hubtest.TestMark(6, 426000)
	m.KeyID = 9
	body := decode.EncodeBody(m)
	h := sha512.Sum512(body[:])
	sc, err := new(edwards25519.Scalar).SetUniformBytes(h[:])
	if err != nil {
		t.Fatal(err)
	}
	var sig [mark.SigSize]byte
	copy(sig[:32], new(edwards25519.Point).ScalarBaseMult(sc).Bytes())
	copy(sig[32:], sc.Bytes())
	msg := decode.Message(body)
	if !ed25519.Verify(append([]byte{1}, make([]byte, 31)...), msg[:], sig[:]) {
		t.Fatal("the forgery does not verify under the identity key: the test is broken")
	}
	f := m.Fields()
	forged.Mark, forged.Text = &f, decode.Encode(body, sig)

	c := hub.NewChecker(s)
	recs := []hub.Record{good, forged}
	if err := c.Check(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if recs[0].Verification != hub.Verified {
		t.Errorf("a mark of key 1 (bundle 1's keyring): %q %s", recs[0].Verification, recs[0].Why)
	}
	if recs[1].Verification == hub.Verified {
		t.Errorf("the mark forged for the weak key 9 is verified: %s", recs[1].Why)
	}
	n, _, skipped := c.Keyrings()
	if n != 1 || !errors.Is(skipped, verify.ErrWeakKey) {
		t.Fatalf("keyrings in force %d, skipped %v: want 1 and bundle 2 refused for its weak key", n, skipped)
	}
	for _, want := range []string{"stored bundle 2", "keys[1] (id 9)", "small order 1"} {
		if !strings.Contains(skipped.Error(), want) {
			t.Errorf("refusal %q does not name %q", skipped, want)
		}
	}
}
