package specoracle

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"filippo.io/edwards25519"
	"gopkg.in/yaml.v3"
)

func parseDate(t testing.TB, s string) oDay {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("date %q: %v", s, err)
	}
	return dayOfDate(d.Date())
}

// readKeys reads a keyring (or the issuer-keys file, which adds private).
func readKeys(t testing.TB, path string) (map[int]oKey, map[int][]byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys []struct {
			ID          int    `yaml:"id"`
			Alg         string `yaml:"alg"`
			Public      string `yaml:"public"`
			Private     string `yaml:"private"`
			ValidFrom   string `yaml:"valid_from"`
			ValidUntil  string `yaml:"valid_until"`
			RevokedFrom string `yaml:"revoked_from"`
		} `yaml:"keys"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	keys, priv := map[int]oKey{}, map[int][]byte{}
	for _, e := range f.Keys {
		pub, err := base64.StdEncoding.DecodeString(e.Public)
		if err != nil {
			t.Fatalf("%s: key %d: %v", path, e.ID, err)
		}
		k := oKey{alg: e.Alg, pub: pub, from: parseDate(t, e.ValidFrom), until: parseDate(t, e.ValidUntil),
			distrusted: e.Alg == "ed25519" && weakEd25519(pub)}
		if e.RevokedFrom != "" {
			k.revoked, k.revokedFrom = true, parseDate(t, e.RevokedFrom)
		}
		keys[e.ID] = k
		if e.Private != "" {
			if priv[e.ID], err = base64.StdEncoding.DecodeString(e.Private); err != nil {
				t.Fatalf("%s: key %d private: %v", path, e.ID, err)
			}
		}
	}
	return keys, priv
}

func readTariffs(t testing.TB, path string) []oVersion {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Versions []struct {
			Effective string `yaml:"effective"`
			Notice    int64  `yaml:"notice_of_delivery_kop"`
			Classes   []struct {
				Code  int `yaml:"code"`
				Bands []struct {
					MaxG int64 `yaml:"max_g"`
					Kop  int64 `yaml:"kop"`
				} `yaml:"bands"`
			} `yaml:"classes"`
		} `yaml:"versions"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var vs []oVersion
	for _, v := range f.Versions {
		ov := oVersion{effective: parseDate(t, v.Effective), notice: v.Notice, classes: map[int][]oBand{}}
		for _, c := range v.Classes {
			for _, b := range c.Bands {
				ov.classes[c.Code] = append(ov.classes[c.Code], oBand{b.MaxG, b.Kop})
			}
		}
		vs = append(vs, ov)
	}
	return vs
}

// signer makes §3 signatures with the test-only private keys.
type signer struct {
	ed map[int]ed25519.PrivateKey
	ec map[int]*ecdsa.PrivateKey
}

func newSigner(t testing.TB, keys map[int]oKey, priv map[int][]byte) *signer {
	t.Helper()
	s := &signer{ed: map[int]ed25519.PrivateKey{}, ec: map[int]*ecdsa.PrivateKey{}}
	for id, p := range priv {
		switch keys[id].alg {
		case "ed25519":
			s.ed[id] = ed25519.NewKeyFromSeed(p)
		case "ecdsa-p256":
			k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), p)
			if err != nil {
				t.Fatalf("key %d: %v", id, err)
			}
			s.ec[id] = k
		}
	}
	return s
}

// sign signs body with the private key of id, in the algorithm of that
// key (whatever the body's alg says).
func (s *signer) sign(t testing.TB, id int, body []byte) []byte {
	msg := append([]byte("RU-EPM-v1\x00"), body...)
	if k, ok := s.ed[id]; ok {
		return ed25519.Sign(k, msg)
	}
	if k, ok := s.ec[id]; ok {
		h := sha256.Sum256(msg)
		r, ss, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		return sig
	}
	if id == 9 { // the identity key of the edge lists: [S]B = R + [k]·O holds for R = [s]B, S = s
		h := sha256.Sum256(body)
		sc, _ := new(edwards25519.Scalar).SetUniformBytes(append(h[:], h[:]...))
		return append(new(edwards25519.Point).ScalarBaseMult(sc).Bytes(), sc.Bytes()...)
	}
	return make([]byte, 64) // no private key: a signature that fails
}

// encodeBody lays out §2.
func encodeBody(f oFields) []byte {
	b := make([]byte, 40)
	be := binary.BigEndian
	b[0], b[1] = f.version, f.alg
	be.PutUint16(b[2:], f.keyID)
	be.PutUint64(b[4:], f.serial)
	be.PutUint32(b[12:], f.contract)
	b[16], b[17] = f.class, f.flags
	be.PutUint16(b[18:], f.weight)
	be.PutUint32(b[20:], f.tariff)
	be.PutUint32(b[24:], f.office)
	be.PutUint16(b[28:], uint16(f.issued))
	be.PutUint16(b[30:], uint16(f.until))
	be.PutUint64(b[32:], f.tracking)
	return b
}

// encodeText is §1's canonical form.
func encodeText(body, sig []byte) string {
	return "EPM1:" + b32.EncodeToString(append(append([]byte{}, body...), sig...))
}
