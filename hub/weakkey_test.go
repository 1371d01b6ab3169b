package hub_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"markd/bundle"
	"markd/decode"
	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/internal/syncbuf"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// hubtestCreated is when bundle 2 was made (any fixed instant).
var hubtestCreated = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// TestCheckerDistrustsWeakKey: a stored bundle whose keyring holds the
// identity point as key 9 (as a markhub before publish refused it
// published it) is read, key 9 distrusted (docs/notes/spec-audit.md item
// 10, per key): a mark anyone forged for key 9 (R = [s]B, S = s, no
// private key) is not verified, a mark of key 1 is; the bundle is not
// skipped (2 keyrings in force); the distrusted key is named (stored
// bundle 2, keys[1] (id 9), why) by Checker.Distrusted and logged once at
// ERROR by the server's LoadKeyrings. On the whole-refusal code the
// bundle was skipped as unreadable (1 keyring in force).
func TestCheckerDistrustsWeakKey(t *testing.T) {
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
	if n != 2 || skipped != nil {
		t.Fatalf("keyrings in force %d, skipped %v: want 2, bundle 2 read with key 9 distrusted", n, skipped)
	}
	d := c.Distrusted()
	if len(d) != 1 || !errors.Is(d[0], verify.ErrWeakKey) {
		t.Fatalf("distrusted %v, want key 9 of bundle 2", d)
	}
	for _, want := range []string{"stored bundle 2", "keys[1] (id 9)", "small order 1"} {
		if !strings.Contains(d[0].Error(), want) {
			t.Errorf("%q does not name %q", d[0], want)
		}
	}

	var log syncbuf.Buffer
	api := hub.NewServer(s, hub.ServerOptions{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if n, err := api.LoadKeyrings(ctx); err != nil || n != 2 {
		t.Fatalf("LoadKeyrings: %d, %v; want 2", n, err)
	}
	l := log.String()
	if strings.Count(l, `level=ERROR msg="`+verify.DistrustedMsg+`"`) != 1 || strings.Contains(l, "unreadable") {
		t.Errorf("want one ERROR line for the distrusted key, no unreadable bundle:\n%s", l)
	}
	for _, want := range []string{"stored bundle 2", "keys[1] (id 9)", "small order 1"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}
