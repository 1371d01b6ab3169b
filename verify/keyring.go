package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"gopkg.in/yaml.v3"

	"markd/internal/edpoint"
	"markd/mark"
)

// ErrWeakKey is wrapped by the reason a key of a keyring is distrusted
// (Keyring.Distrusted): an Ed25519 key that is not the canonical
// encoding of a point of order ℓ — of small order, with a small-order
// component, non-canonical or not a point at all. The keyring loads; no
// signature verifies under that key (docs/notes/spec-audit.md item 10).
var ErrWeakKey = edpoint.ErrWeakKey

// Key is one issuer public key of the keyring (§6).
type Key struct {
	ID          uint16
	Alg         uint8 // mark.AlgEd25519 or mark.AlgECDSAP256
	ValidFrom   mark.Day
	ValidUntil  mark.Day
	RevokedFrom mark.Day // meaningful only when Revoked
	Revoked     bool

	// edA is the Ed25519 key decompressed once, at load, for batches;
	// single is the same key for single checks (its comb of multiples is
	// built on the first). Both are nil for a key that is not the
	// canonical encoding of a point of order ℓ (edpoint.Check): it is
	// distrusted, no signature verifies under it (distrust says why).
	edA    *curve.EdwardsPoint
	single *edKey
	ecd    *ecdsa.PublicKey
	// distrust says why no signature verifies under this key (nil: none).
	distrust error
}

// Distrusted says why no signature verifies under the key (wrapping
// ErrWeakKey), or nil when the key is trusted.
func (k *Key) Distrusted() error { return k.distrust }

// Keyring is the set of issuer public keys, by id.
type Keyring struct {
	Version    string
	keys       map[uint16]*Key
	distrusted []error // one per distrusted key, in the file's order
}

// Distrusted returns one error per key of the keyring under which no
// signature verifies, in the file's order: each names the file, keys[i]
// (id N), the key and why, and wraps ErrWeakKey. Empty when every key is
// trusted.
func (k *Keyring) Distrusted() []error { return slices.Clone(k.distrusted) }

// Key returns the key with the given id.
func (k *Keyring) Key(id uint16) (*Key, bool) {
	key, ok := k.keys[id]
	return key, ok
}

// Len is the number of keys.
func (k *Keyring) Len() int { return len(k.keys) }

type keyringFile struct {
	Version string         `yaml:"version"`
	Keys    []keyringEntry `yaml:"keys"`
}

type keyringEntry struct {
	ID          *int   `yaml:"id"`
	Alg         string `yaml:"alg"`
	Public      string `yaml:"public"`
	ValidFrom   string `yaml:"valid_from"`
	ValidUntil  string `yaml:"valid_until"`
	RevokedFrom string `yaml:"revoked_from"`
}

// LoadKeyring reads a keyring file.
func LoadKeyring(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w: %w", path, mark.ErrInvalid, err)
	}
	return ParseKeyring(path, data)
}

// ParseKeyring parses keyring data; name (a file name) prefixes every error.
func ParseKeyring(name string, data []byte) (*Keyring, error) {
	var f keyringFile
	if err := strictYAML(data, &f); err != nil {
		return nil, fmt.Errorf("keyring %s: %w: %v", name, mark.ErrInvalid, err)
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("keyring %s: no keys: %w", name, mark.ErrInvalid)
	}
	kr := &Keyring{Version: listVersion(f.Version, data), keys: make(map[uint16]*Key, len(f.Keys))}
	for i, e := range f.Keys {
		where := fmt.Sprintf("keyring %s: keys[%d]", name, i)
		if e.ID == nil {
			return nil, fmt.Errorf("%s: id missing: %w", where, mark.ErrInvalid)
		}
		where = fmt.Sprintf("%s (id %d)", where, *e.ID)
		k, err := e.key()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if _, dup := kr.keys[k.ID]; dup {
			return nil, fmt.Errorf("%s: id %d appears twice: %w", where, k.ID, mark.ErrInvalid)
		}
		if k.distrust != nil {
			k.distrust = fmt.Errorf("%s: public %q distrusted, no signature verifies under it: %w", where, e.Public, k.distrust)
			kr.distrusted = append(kr.distrusted, k.distrust)
		}
		kr.keys[k.ID] = k
	}
	return kr, nil
}

func (e keyringEntry) key() (*Key, error) {
	if *e.ID < 0 || *e.ID > 65535 {
		return nil, fmt.Errorf("id %d outside 0..65535: %w", *e.ID, mark.ErrInvalid)
	}
	k := &Key{ID: uint16(*e.ID)}
	pub, err := base64.StdEncoding.DecodeString(e.Public)
	if err != nil {
		return nil, fmt.Errorf("public %q is not base64: %w", e.Public, mark.ErrInvalid)
	}
	switch e.Alg {
	case "ed25519":
		k.Alg = mark.AlgEd25519
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public %q is %d bytes, an ed25519 key is %d: %w", e.Public, len(pub), ed25519.PublicKeySize, mark.ErrInvalid)
		}
		// A weak key stays in the keyring, distrusted (spec-audit.md item
		// 10): single and edA stay nil, so no signature verifies under it
		// (edKey.verify of nil, as crypto/ed25519 with a key that is no
		// point) and it never enters a batch (Key.batch).
		if err := edpoint.Check(pub); err != nil {
			k.distrust = err
			break
		}
		single, edA := newEdKey(pub), batchPoint(pub)
		if single == nil || edA == nil { // edpoint.Check and the two decoders disagree: never expected
			k.distrust = fmt.Errorf("%w: the curve libraries disagree on it", ErrWeakKey)
			break
		}
		k.single, k.edA = single, edA
	case "ecdsa-p256":
		k.Alg = mark.AlgECDSAP256
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
		if err != nil {
			return nil, fmt.Errorf("public %q is not an uncompressed P-256 point (%v): %w", e.Public, err, mark.ErrInvalid)
		}
		k.ecd = pk
	default:
		return nil, fmt.Errorf("alg %q is not ed25519 or ecdsa-p256: %w", e.Alg, mark.ErrInvalid)
	}
	if k.ValidFrom, err = mark.ParseDay(e.ValidFrom); err != nil {
		return nil, fmt.Errorf("valid_from: %w", err)
	}
	if k.ValidUntil, err = mark.ParseDay(e.ValidUntil); err != nil {
		return nil, fmt.Errorf("valid_until: %w", err)
	}
	if k.ValidUntil < k.ValidFrom {
		return nil, fmt.Errorf("valid_until %s is before valid_from %s: %w", e.ValidUntil, e.ValidFrom, mark.ErrInvalid)
	}
	if e.RevokedFrom != "" {
		if k.RevokedFrom, err = mark.ParseDay(e.RevokedFrom); err != nil {
			return nil, fmt.Errorf("revoked_from: %w", err)
		}
		k.Revoked = true
	}
	return k, nil
}

// strictYAML decodes one YAML document, refusing unknown keys.
func strictYAML(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("empty file")
		}
		return err
	}
	return nil
}

// listVersion is the version of a list file: its version key, else the
// first 12 hex characters of the SHA-256 of its bytes.
func listVersion(declared string, data []byte) string {
	if declared != "" {
		return declared
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}
