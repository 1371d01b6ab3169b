package verify_test

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"markd/decode"
	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// identityEntry is the identity point as key 9: an Ed25519 key of small
// order, for which anyone can sign (docs/notes/spec-audit.md item 10).
const identityEntry = "  - id: 9\n    alg: ed25519\n    public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n    valid_from: 2025-01-01\n    valid_until: 2030-12-31\n"

// forgeForIdentity re-issues m under key 9 and "signs" it without any
// private key: R = [s]B, S = s verifies under the identity key by RFC
// 8032 and crypto/ed25519.
func forgeForIdentity(t testing.TB, m mark.Mark) string {
	t.Helper()
	m.Version, m.Alg, m.KeyID = 1, mark.AlgEd25519, 9
	body := decode.EncodeBody(m)
	sig := testdata.IdentityForgery(body[:])
	msg := decode.Message(body)
	if !ed25519.Verify(append([]byte{1}, make([]byte, 31)...), msg[:], sig[:]) {
		t.Fatal("the forgery does not verify under the identity key: the test is broken")
	}
	return decode.Encode(body, sig)
}

// TestForgedMarkForDistrustedKeyBadSignature: the shared keyring with the
// identity point as key 9 loads, key 9 distrusted (named with the file,
// keys[4] (id 9), the key and why); a mark anyone forged for key 9 is
// REJECT [BAD_SIGNATURE] by Verify, by the check a caller deferred, by
// VerifyBatch (beside good marks enough for a batch), by CheckSignature and
// by a SignatureBatch, while the good marks of key 1 stay ACCEPT. On the
// code that refused the keyring whole, it did not load.
func TestForgedMarkForDistrustedKeyBadSignature(t *testing.T) {
	td := testdata.Dir(t)
	ring, err := os.ReadFile(filepath.Join(td, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keyring.yaml")
	if err := os.WriteFile(path, append(ring, identityEntry...), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := verify.LoadFiles(path, filepath.Join(td, "tariffs.yaml"), "")
	if err != nil {
		t.Fatalf("a keyring with one weak key is refused whole: %v", err)
	}
	d := v.Keyring().Distrusted()
	if len(d) != 1 || !errors.Is(d[0], verify.ErrWeakKey) {
		t.Fatalf("distrusted %v, want key 9 (ErrWeakKey)", d)
	}
	for _, want := range []string{path, "keys[4] (id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1"} {
		if !strings.Contains(d[0].Error(), want) {
			t.Errorf("%q does not name %q", d[0], want)
		}
	}

	keys := testdata.Keys(t)
	base := mark.Mark{Serial: 1000, Contract: 1004417, MailClass: mark.ClassRegisteredLetter, WeightG: 20,
		TariffKop: 10500, Office: 426000, Issued: day(t, "2026-11-20"), ValidUntil: day(t, "2027-02-20")}
	ctx := mark.Context{Office: 426000, Date: day(t, "2026-11-25")}
	sign := func(serial uint64) string {
		m := base
		m.Serial = serial
		m.Tracking = testdata.ValidMark(serial, ctx.Date).Tracking
		text, err := keys[1].Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	forgedMark := base
	forgedMark.Tracking = testdata.ValidMark(base.Serial, ctx.Date).Tracking
	forged := forgeForIdentity(t, forgedMark)
	bad := []mark.Reason{mark.ReasonBadSignature}
	isBad := func(how string, r mark.Result) {
		t.Helper()
		if r.Verdict != mark.Reject || !slices.Equal(r.Reasons, bad) || r.Mark != nil {
			t.Errorf("%s: forged mark for key 9 is %s %v (mark %v), want REJECT [BAD_SIGNATURE]", how, r.Verdict, r.Reasons, r.Mark != nil)
		}
	}
	if r := v.Verify(sign(1), ctx); r.Verdict != mark.Accept {
		t.Fatalf("a good mark of key 1: %s %v", r.Verdict, r.Reasons)
	}
	isBad("Verify", v.Verify(forged, ctx))

	var check func() bool
	if r := v.Verify(forged, mark.Context{Office: ctx.Office, Date: ctx.Date, DeferSignature: &check}); check == nil {
		isBad("Verify with the check deferred (no check left)", r)
	} else if check() {
		t.Error("the deferred signature check of the forged mark held")
	}

	var texts []string
	for i := range 40 {
		texts = append(texts, sign(uint64(2000+i)))
	}
	texts = slices.Insert(texts, 17, forged)
	cs := make([]mark.Context, len(texts))
	for i := range cs {
		cs[i] = ctx
	}
	for i, r := range v.VerifyBatch(texts, cs) {
		if i == 17 {
			isBad("VerifyBatch", r)
		} else if r.Verdict != mark.Accept {
			t.Errorf("VerifyBatch: good mark %d: %s %v", i, r.Verdict, r.Reasons)
		}
	}

	if _, err := v.Keyring().CheckSignature(forged); !errors.Is(err, verify.ErrBadSignature) {
		t.Errorf("CheckSignature: %v, want ErrBadSignature", err)
	}
	var sb verify.SignatureBatch
	rings := []*verify.Keyring{v.Keyring()}
	var added []int
	for _, text := range texts {
		i, ok := sb.Add(text, rings)
		if !ok {
			t.Fatalf("SignatureBatch.Add(%q) refused", text)
		}
		added = append(added, i)
	}
	for j, ok := range sb.Check() {
		if ok == (added[17] == j) {
			t.Errorf("SignatureBatch: text %d verified = %v", j, ok)
		}
	}
}
