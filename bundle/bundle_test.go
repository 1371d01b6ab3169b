package bundle

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/edpoint"
	"markd/mark"
)

func testContents(v uint64) Contents {
	return Contents{
		Version:     v,
		Created:     time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		Keyring:     File{Name: "keyring.yaml", Data: []byte("keys: []\n")},
		Tariffs:     File{Name: "tariffs.yaml", Data: []byte("versions: []\n")},
		Revocations: File{Name: "revoked.txt", Data: []byte("123\n456\n")},
	}
}

func mustKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestSignOpenRoundTrip(t *testing.T) {
	pub, priv := mustKey(t)
	data, err := Sign(testContents(7), priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(data, pub)
	if err != nil {
		t.Fatal(err)
	}
	want := testContents(7)
	if c.Version != 7 || !c.Created.Equal(want.Created) || !bytes.Equal(c.Keyring.Data, want.Keyring.Data) ||
		!bytes.Equal(c.Revocations.Data, want.Revocations.Data) || c.Tariffs.Name != "tariffs.yaml" {
		t.Fatalf("round trip changed contents: %+v", c)
	}
}

// tamper returns data with the payload's keyring bytes altered but the
// signature kept.
func tamperPayload(t *testing.T, data []byte) []byte {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	env.Payload = bytes.Replace(env.Payload, []byte(`"version":7`), []byte(`"version":8`), 1)
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenRejectsTampering(t *testing.T) {
	pub, priv := mustKey(t)
	otherPub, otherPriv := mustKey(t)
	good, err := Sign(testContents(7), priv)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := Sign(testContents(7), otherPriv)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	// flip one bit inside the base64 signature text near the end
	i := bytes.LastIndex(flipped, []byte(`"signature":"`)) + len(`"signature":"`) + 3
	flipped[i] ^= 0x01
	tests := []struct {
		name string
		data []byte
		pub  ed25519.PublicKey
	}{
		{"signed by another key", byOther, pub},
		{"pinned another key", good, otherPub},
		{"altered payload", tamperPayload(t, good), pub},
		{"altered signature", flipped, pub},
		{"not json", []byte("hello"), pub},
		{"trailing data", append(bytes.Clone(good), []byte(" {}")...), pub},
		{"wrong format", bytes.Replace(good, []byte(Format), []byte("markd-bundle-0"), 1), pub},
		{"empty", nil, pub},
		{"short pinned key", good, pub[:16]},
		// encoding/json read "Format" as format: the envelope was taken
		{"key in another case", bytes.Replace(good, []byte(`"format"`), []byte(`"Format"`), 1), pub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(tt.data, tt.pub)
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("Open = %+v, %v; want ErrInvalid", c, err)
			}
		})
	}
}

func TestNewerRejectsOlderAndEqual(t *testing.T) {
	tests := []struct {
		current, version uint64
		ok               bool
	}{
		{0, 1, true}, {5, 6, true}, {5, 5, false}, {5, 4, false}, {5, 100, true},
	}
	for _, tt := range tests {
		c := testContents(tt.version)
		err := c.Newer(tt.current)
		if (err == nil) != tt.ok {
			t.Errorf("version %d over %d: err = %v, want ok=%v", tt.version, tt.current, err, tt.ok)
		}
		if err != nil && !errors.Is(err, mark.ErrConflict) {
			t.Errorf("err = %v, want ErrConflict", err)
		}
	}
}

func TestValidate(t *testing.T) {
	_, priv := mustKey(t)
	tests := []struct {
		name string
		mod  func(*Contents)
	}{
		{"zero version", func(c *Contents) { c.Version = 0 }},
		{"no created", func(c *Contents) { c.Created = time.Time{} }},
		{"no keyring", func(c *Contents) { c.Keyring.Data = nil }},
		{"no tariffs", func(c *Contents) { c.Tariffs.Data = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testContents(1)
			tt.mod(&c)
			if _, err := Sign(c, priv); !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("Sign err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestKeysEncoding(t *testing.T) {
	pub, priv := mustKey(t)
	p, err := ParsePublicKey(EncodePublicKey(pub) + "\n")
	if err != nil || !p.Equal(pub) {
		t.Fatalf("public key round trip: %v", err)
	}
	pemBytes, err := EncodePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(pemBytes)
	if err != nil || !k.Equal(priv) {
		t.Fatalf("private key round trip: %v", err)
	}
	for _, bad := range []string{"", "!!!", "AAAA"} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("ParsePublicKey(%q) err = %v", bad, err)
		}
	}
	// Weak keys (spec-audit.md item 10): anyone could sign bundles for a
	// key of small order; one with a small-order component, a non-canonical
	// encoding or bytes that are no point are refused as well.
	for _, weak := range []string{
		"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // the identity
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // order 4
		"JuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/AU=", // order 8
		"7v///////////////////////////////////////38=", // the identity as y = p + 1
		"AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // y = 2: no point
		"AwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // y = 3: a point of mixed order
	} {
		_, err := ParsePublicKey(weak)
		if !errors.Is(err, mark.ErrInvalid) || !errors.Is(err, edpoint.ErrWeakKey) || !strings.Contains(err.Error(), weak) {
			t.Errorf("ParsePublicKey(%q) err = %v, want ErrWeakKey naming it", weak, err)
		}
	}
	if _, err := ParsePrivateKey([]byte("nope")); !errors.Is(err, mark.ErrInvalid) {
		t.Errorf("ParsePrivateKey err = %v", err)
	}
}

func TestDirKeepsNewestGood(t *testing.T) {
	pub, priv := mustKey(t)
	d := Dir{Path: filepath.Join(t.TempDir(), "bundles")}
	if _, _, err := d.Latest(pub); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("empty dir: err = %v", err)
	}
	for v := uint64(1); v <= 5; v++ {
		data, err := Sign(testContents(v), priv)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Save(v, data); err != nil {
			t.Fatal(err)
		}
	}
	vs, _ := d.versions()
	if len(vs) != Keep || vs[0] != 5 {
		t.Fatalf("kept %v, want newest %d", vs, Keep)
	}
	c, _, err := d.Latest(pub)
	if err != nil || c.Version != 5 {
		t.Fatalf("Latest = %v, %v", c, err)
	}
	// A damaged newest file falls back to the previous good one.
	if err := os.WriteFile(filepath.Join(d.Path, fileName(5)), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err = d.Latest(pub)
	if err != nil || c.Version != 4 {
		t.Fatalf("after damage Latest = %v, %v; want version 4", c, err)
	}
	// A file renamed to claim a newer version is not trusted.
	data, _ := os.ReadFile(filepath.Join(d.Path, fileName(4)))
	if err := os.WriteFile(filepath.Join(d.Path, fileName(9)), data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err = d.Latest(pub)
	if err != nil || c.Version != 4 {
		t.Fatalf("renamed file: Latest = %v, %v; want version 4", c, err)
	}
}

func TestDirSaveFailure(t *testing.T) {
	d := Dir{Path: t.TempDir(), Sync: func(*os.File) error { return errors.New("ENOSPC") }}
	if err := d.Save(1, []byte("x")); !errors.Is(err, mark.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if vs, _ := d.versions(); len(vs) != 0 {
		t.Fatalf("a failed save left %v", vs)
	}
}

func FuzzOpen(f *testing.F) {
	pub, priv := mustKey(f)
	good, err := Sign(testContents(3), priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"markd-bundle-1"}`))
	f.Add([]byte("{}"))
	f.Add(bytes.Replace(good, []byte(`"key_id"`), []byte(`"Key_ID"`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Open(data, pub)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if c.Validate() != nil {
			t.Fatalf("Open returned invalid contents %+v", c)
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	pub, priv := mustKey(f)
	pemBytes, err := EncodePrivateKey(priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(EncodePublicKey(pub), pemBytes)
	f.Add("AAAA", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, pubText string, privPEM []byte) {
		if p, err := ParsePublicKey(pubText); err == nil {
			if len(p) != ed25519.PublicKeySize {
				t.Fatalf("public key of %d bytes accepted", len(p))
			}
			if q, err := ParsePublicKey(EncodePublicKey(p)); err != nil || !q.Equal(p) {
				t.Fatalf("re-encoded public key does not parse back: %v", err)
			}
		} else if !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("error not ErrInvalid: %v", err)
		}
		if k, err := ParsePrivateKey(privPEM); err == nil {
			if len(k) != ed25519.PrivateKeySize {
				t.Fatalf("private key of %d bytes accepted", len(k))
			}
		} else if !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("error not ErrInvalid: %v", err)
		}
	})
}
