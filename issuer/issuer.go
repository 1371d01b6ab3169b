// Package issuer is the issuing side of EPM v1 marks, for demos and tests:
// it loads and generates issuer signing keys (the test-only format of
// testdata/issuer-keys.yaml), signs marks into their text form and renders
// them as QR codes. The counter daemon itself never signs anything.
package issuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"markd/decode"
	"markd/mark"
)

// Algorithm names of the keyring and key files (§6).
const (
	AlgEd25519   = "ed25519"
	AlgECDSAP256 = "ecdsa-p256"
)

// AlgCode returns the body code of an algorithm name.
func AlgCode(name string) (uint8, bool) {
	switch name {
	case AlgEd25519:
		return mark.AlgEd25519, true
	case AlgECDSAP256:
		return mark.AlgECDSAP256, true
	}
	return 0, false
}

// Key is one issuer signing key with its validity.
type Key struct {
	ID          uint16
	Alg         string // AlgEd25519 or AlgECDSAP256
	Private     []byte // Ed25519: 32-byte seed; P-256: 32-byte scalar
	Public      []byte // Ed25519: 32 bytes; P-256: 65-byte uncompressed point
	ValidFrom   mark.Day
	ValidUntil  mark.Day
	RevokedFrom *mark.Day // nil when not revoked

	ed  ed25519.PrivateKey
	ecd *ecdsa.PrivateKey
}

// newKey checks the key material and derives the signer; public, when
// given, must match the private key.
func newKey(id uint16, alg string, private, public []byte) (Key, error) {
	k := Key{ID: id, Alg: alg, Private: private}
	switch alg {
	case AlgEd25519:
		if len(private) != ed25519.SeedSize {
			return Key{}, fmt.Errorf("ed25519 private key is %d bytes, want %d: %w", len(private), ed25519.SeedSize, mark.ErrInvalid)
		}
		k.ed = ed25519.NewKeyFromSeed(private)
		k.Public = []byte(k.ed.Public().(ed25519.PublicKey))
	case AlgECDSAP256:
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), private)
		if err != nil {
			return Key{}, fmt.Errorf("ecdsa-p256 private key: %w: %v", mark.ErrInvalid, err)
		}
		k.ecd = priv
		pub, err := priv.PublicKey.Bytes()
		if err != nil {
			return Key{}, fmt.Errorf("ecdsa-p256 public key: %w: %v", mark.ErrInvalid, err)
		}
		k.Public = pub
	default:
		return Key{}, fmt.Errorf("alg %q is not %s or %s: %w", alg, AlgEd25519, AlgECDSAP256, mark.ErrInvalid)
	}
	if public != nil && string(public) != string(k.Public) {
		return Key{}, fmt.Errorf("public key does not match the private key: %w", mark.ErrInvalid)
	}
	return k, nil
}

// Generate makes a new random key.
func Generate(alg string, id uint16, validFrom, validUntil mark.Day) (Key, error) {
	if validUntil < validFrom {
		return Key{}, fmt.Errorf("valid_until %s is before valid_from %s: %w", validUntil, validFrom, mark.ErrInvalid)
	}
	var private []byte
	switch alg {
	case AlgEd25519:
		private = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(private); err != nil {
			return Key{}, fmt.Errorf("random seed: %w", err)
		}
	case AlgECDSAP256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return Key{}, fmt.Errorf("generate p-256 key: %w", err)
		}
		if private, err = priv.Bytes(); err != nil {
			return Key{}, fmt.Errorf("p-256 key bytes: %w", err)
		}
	default:
		return Key{}, fmt.Errorf("alg %q is not %s or %s: %w", alg, AlgEd25519, AlgECDSAP256, mark.ErrInvalid)
	}
	k, err := newKey(id, alg, private, nil)
	if err != nil {
		return Key{}, err
	}
	k.ValidFrom, k.ValidUntil = validFrom, validUntil
	return k, nil
}

// SignBody signs a 40-byte body as it is, without touching alg or key_id:
// tests use it to make marks whose alg does not match the key.
func (k Key) SignBody(body [mark.BodySize]byte) ([mark.SigSize]byte, error) {
	var sig [mark.SigSize]byte
	msg := decode.Message(body)
	switch {
	case k.ed != nil:
		copy(sig[:], ed25519.Sign(k.ed, msg[:]))
	case k.ecd != nil:
		h := sha256.Sum256(msg[:])
		r, s, err := ecdsa.Sign(rand.Reader, k.ecd, h[:])
		if err != nil {
			return sig, fmt.Errorf("ecdsa sign: %w", err)
		}
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		return sig, fmt.Errorf("key %d has no private key loaded: %w", k.ID, mark.ErrInvalid)
	}
	return sig, nil
}

// Sign signs m and returns its text form. It sets m's alg and key_id from
// the key, and version 1 when m's version is 0.
func (k Key) Sign(m mark.Mark) (string, error) {
	code, ok := AlgCode(k.Alg)
	if !ok {
		return "", fmt.Errorf("key %d: alg %q: %w", k.ID, k.Alg, mark.ErrInvalid)
	}
	m.Alg, m.KeyID = code, k.ID
	if m.Version == 0 {
		m.Version = 1
	}
	body := decode.EncodeBody(m)
	sig, err := k.SignBody(body)
	if err != nil {
		return "", err
	}
	return decode.Encode(body, sig), nil
}

// Entry is the public keyring entry of a key (§6), in keyring file format.
type Entry struct {
	ID          uint16 `yaml:"id" json:"id"`
	Alg         string `yaml:"alg" json:"alg"`
	Public      string `yaml:"public" json:"public"`
	ValidFrom   string `yaml:"valid_from" json:"valid_from"`
	ValidUntil  string `yaml:"valid_until" json:"valid_until"`
	RevokedFrom string `yaml:"revoked_from,omitempty" json:"revoked_from,omitempty"`
}

// KeyringEntry returns the public entry of the key for a keyring file.
func (k Key) KeyringEntry() Entry {
	e := Entry{
		ID: k.ID, Alg: k.Alg, Public: base64.StdEncoding.EncodeToString(k.Public),
		ValidFrom: k.ValidFrom.String(), ValidUntil: k.ValidUntil.String(),
	}
	if k.RevokedFrom != nil {
		e.RevokedFrom = k.RevokedFrom.String()
	}
	return e
}

// TrackingCheckDigit returns the check digit of the 13 leading digits of a
// domestic tracking number (§5).
func TrackingCheckDigit(first13 uint64) uint64 {
	var s uint64
	for i := 13; i >= 1; i-- { // i is the digit position d1..d13
		d := first13 % 10
		first13 /= 10
		if i%2 == 1 {
			s += 3 * d
		} else {
			s += d
		}
	}
	return (10 - s%10) % 10
}

// Tracking builds a valid 14-digit tracking number from the 6-digit origin
// office index and a 7-digit item number.
func Tracking(office uint32, item uint64) uint64 {
	first13 := uint64(office%1000000)*10000000 + item%10000000
	return first13*10 + TrackingCheckDigit(first13)
}
