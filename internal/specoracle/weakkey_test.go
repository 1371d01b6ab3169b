package specoracle

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// TestEdgeListsWithIdentityKeyRefused: docs/notes/spec-audit.md item 10,
// decided. The edge lists held the identity point as key 9, and markd and
// the oracle both said ACCEPT to a mark anyone forged for it. markd now
// refuses a keyring holding it (fail closed), naming the file, the key
// and why; the comparisons run on the edge lists without it, where the
// same forgery is REJECT [UNKNOWN_KEY] on both sides.
func TestEdgeListsWithIdentityKeyRefused(t *testing.T) {
	dir := testdata.Dir(t)
	w := edgeWorld(t, dir)
	if _, ok := w.o.keys[9]; ok {
		t.Fatal("the edge lists still hold key 9")
	}
	kr, err := os.ReadFile(w.keyring)
	if err != nil {
		t.Fatal(err)
	}
	weak := filepath.Join(t.TempDir(), "keyring.yaml")
	write(t, weak, string(kr)+identityKeyEntry)
	_, err = verify.LoadFiles(weak, w.tariffs, w.revo)
	if !errors.Is(err, verify.ErrWeakKey) || !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("edge lists with the identity key: err %v, want ErrWeakKey and ErrInvalid", err)
	}
	for _, want := range []string{weak, "(id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
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
	unknown := rejectWith("UNKNOWN_KEY")
	for side, r := range map[string]oResult{"oracle": want, "markd": got} {
		if r.verdict != unknown.verdict || !slices.Equal(r.reasons, unknown.reasons) {
			t.Errorf("%s: forged mark for key 9 is %s %v, want REJECT [UNKNOWN_KEY]", side, r.verdict, r.reasons)
		}
	}
}
