package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"markd/decode"
	"markd/internal/testdata"
	"markd/mark"
)

// identityRing is the keyring of the shared test data with the identity
// point added as key 9: an Ed25519 key of small order, for which anyone
// can sign (docs/notes/spec-audit.md item 10).
func identityRing(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata.Dir(t), "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ring := filepath.Join(dir, "weak-keyring.yaml")
	entry := "  - id: 9\n    alg: ed25519\n    public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n    valid_from: 2025-01-01\n    valid_until: 2030-12-31\n"
	if err := os.WriteFile(ring, append(data, entry...), 0o644); err != nil {
		t.Fatal(err)
	}
	return ring
}

// forgedMark is an accepted vector's mark re-issued under key 9 and
// "signed" without any private key: R = [s]B, S = s verifies under the
// identity key by RFC 8032 and crypto/ed25519.
func forgedMark(t *testing.T) (text string, v testdata.Vector) {
	t.Helper()
	for _, v = range testdata.Vectors(t) {
		if v.Verdict != mark.Accept {
			continue
		}
		body, _, err := decode.Text(v.Text)
		if err != nil {
			t.Fatal(err)
		}
		m, err := decode.Body(body[:])
		if err != nil {
			t.Fatal(err)
		}
		m.Alg, m.KeyID = mark.AlgEd25519, 9
		body = decode.EncodeBody(m)
		h := sha512.Sum512(body[:])
		s, err := new(edwards25519.Scalar).SetUniformBytes(h[:])
		if err != nil {
			t.Fatal(err)
		}
		var sig [mark.SigSize]byte
		copy(sig[:32], new(edwards25519.Point).ScalarBaseMult(s).Bytes())
		copy(sig[32:], s.Bytes())
		return decode.Encode(body, sig), v
	}
	t.Fatal("no accepted vector")
	return "", v
}

// TestVerifyBinaryRefusesWeakKeyring: the real markd verify refuses a
// keyring holding the identity key (exit 2, the code of every broken
// list) naming the file, the key id and why, and so never judges the mark
// anyone can forge for it; with the shared keyring the same text is a
// well-formed mark of an unknown key.
func TestVerifyBinaryRefusesWeakKeyring(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	ring := identityRing(t, dir)
	text, v := forgedMark(t)
	args := func(ring string) []string {
		return []string{"verify", "--keyring", ring, "--tariffs", filepath.Join(testdata.Dir(t), "tariffs.yaml"),
			"--office", strconv.Itoa(int(v.Context.Office)), "--date", v.Context.Date, "--text", text}
	}

	cmd := exec.Command(bin, args(ring)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	code, stderr := testdata.RunExit(t, cmd)
	if code != 2 || out.Len() != 0 {
		t.Fatalf("weak keyring: exit %d, stdout %q, stderr %q; want exit 2 and no verdict", code, out.String(), stderr)
	}
	for _, want := range []string{ring, "keys[4] (id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1 (the identity point)", "anyone can make a signature"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not name %q", stderr, want)
		}
	}

	cmd = exec.Command(bin, args(filepath.Join(testdata.Dir(t), "keyring.yaml"))...)
	out.Reset()
	cmd.Stdout = &out
	if code, stderr := testdata.RunExit(t, cmd); code != 0 {
		t.Fatalf("shared keyring: exit %d: %s", code, stderr)
	}
	var o vtOut
	if err := json.Unmarshal(out.Bytes(), &o); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if o.Verdict != mark.Reject || len(o.Reasons) != 1 || o.Reasons[0] != mark.ReasonUnknownKey {
		t.Errorf("forged mark under the shared keyring: %s %v, want REJECT [UNKNOWN_KEY]", o.Verdict, o.Reasons)
	}
}
