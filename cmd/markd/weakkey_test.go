package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

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
		sig := testdata.IdentityForgery(body[:])
		return decode.Encode(body, sig), v
	}
	t.Fatal("no accepted vector")
	return "", v
}

// distrustedMsg is what markd verify writes on stderr for a distrusted
// key, after the key's error.
const distrustedMsg = "every mark under it is REJECT BAD_SIGNATURE"

// TestVerifyBinaryDistrustsWeakKey: the real markd verify loads a keyring
// holding the identity key as key 9, that key distrusted
// (docs/notes/spec-audit.md item 10, per key): stderr names the file,
// keys[4] (id 9), the key and why, once; stdout has the verdict line of
// the mark anyone can forge for it, REJECT [BAD_SIGNATURE]; the exit is
// that of any run with a reject (0). On the whole-refusal code: exit 2,
// no verdict. With the shared keyring the same text is a well-formed mark
// of an unknown key.
func TestVerifyBinaryDistrustsWeakKey(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	ring := identityRing(t, dir)
	text, v := forgedMark(t)
	args := func(ring string) []string {
		return []string{"verify", "--keyring", ring, "--tariffs", filepath.Join(testdata.Dir(t), "tariffs.yaml"),
			"--office", strconv.Itoa(int(v.Context.Office)), "--date", v.Context.Date, "--text", text}
	}
	for _, c := range []struct {
		ring   string
		reason mark.Reason
	}{{ring, mark.ReasonBadSignature}, {filepath.Join(testdata.Dir(t), "keyring.yaml"), mark.ReasonUnknownKey}} {
		cmd := exec.Command(bin, args(c.ring)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		code, stderr := testdata.RunExit(t, cmd)
		if code != 0 {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want exit 0", c.ring, code, out.String(), stderr)
		}
		var o vtOut
		if err := json.Unmarshal(out.Bytes(), &o); err != nil {
			t.Fatalf("%s: output %q: %v", c.ring, out.String(), err)
		}
		if o.Verdict != mark.Reject || len(o.Reasons) != 1 || o.Reasons[0] != c.reason {
			t.Errorf("%s: forged mark %s %v, want REJECT [%s]", c.ring, o.Verdict, o.Reasons, c.reason)
		}
		if c.reason == mark.ReasonUnknownKey {
			if stderr != "" {
				t.Errorf("shared keyring: stderr %q", stderr)
			}
			continue
		}
		if strings.Count(stderr, distrustedMsg) != 1 {
			t.Errorf("stderr %q: want one line naming the distrusted key", stderr)
		}
		for _, want := range []string{ring, "keys[4] (id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1 (the identity point)", "anyone can make a signature"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr %q does not name %q", stderr, want)
			}
		}
	}
}

// TestRunDistrustsWeakKey: the real markd run starts with a keyring
// holding the identity key as key 9 (on the whole-refusal code it exited
// 78), logs at ERROR the distrusted key naming the file, keys[4] (id 9)
// and why, judges the mark anyone forged for it REJECT [BAD_SIGNATURE]
// and a good mark of key 1 ACCEPT.
func TestRunDistrustsWeakKey(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	ring := identityRing(t, dir)
	cfg := dmConfig(t, dir, ring)
	p := dmStart(t, bin, "--config", cfg)
	logged := p.waitLog(t, regexp.MustCompile(`level=ERROR msg="keyring: an issuer key is distrusted[^\n]*`), 0)[0]
	for _, want := range []string{ring, "keys[4] (id 9)", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "small order 1"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log line %q does not name %q", logged, want)
		}
	}
	text, _ := forgedMark(t)
	fmt.Fprintln(p.stdin, text)
	fmt.Fprintln(p.stdin, dmMarks(t, 1, 8100)[0])
	if o := p.next(t); o.Verdict != mark.Reject || len(o.Reasons) != 1 || o.Reasons[0] != mark.ReasonBadSignature || o.ID == "" {
		t.Errorf("forged mark for key 9: %s %v (id %q), want REJECT [BAD_SIGNATURE] stored", o.Verdict, o.Reasons, o.ID)
	}
	if o := p.next(t); o.Verdict != mark.Accept {
		t.Errorf("good mark of key 1: %s %v, want ACCEPT", o.Verdict, o.Reasons)
	}
	p.stop(t)
	if n := strings.Count(p.stderr(), "an issuer key is distrusted"); n != 1 {
		t.Errorf("the distrusted key logged %d times, want once:\n%s", n, p.stderr())
	}
}
