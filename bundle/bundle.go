// Package bundle is the signed, versioned distribution format of the lists a
// counter judges marks with: the issuer keyring, the tariff table and the
// revocation list. The collector signs a bundle with the distribution key
// (Ed25519); the counter opens it only with the public half pinned in its
// config, so neither the collector's network nor a rogue collector can slip
// in an issuer key. Versions only go up: a counter never applies a bundle
// older than or equal to the one it has.
//
// Encoding: the file is a JSON envelope {format, key_id, payload, signature}
// where payload is the exact byte string that was signed (base64 in JSON).
// The signed message is "markd-bundle-v1\x00" || payload. The payload is
// decoded only after the signature verified, strictly (unknown fields, and
// keys in another case than their fields', are an error), so what is
// verified is exactly what is applied.
package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"markd/internal/jsonkey"
	"markd/mark"
)

// Format names the envelope version.
const Format = "markd-bundle-1"

// signContext separates bundle signatures from any other use of the key.
const signContext = "markd-bundle-v1\x00"

// MaxSize bounds a bundle file (keyring, tariffs and revocations together).
const MaxSize = 32 << 20

// File is one list as its original file: the name it had at publishing
// (shown in logs and used as the keyring name) and its bytes.
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Contents is what a bundle carries. Every bundle is complete (all three
// lists), so applying one is a single atomic swap on the counter.
type Contents struct {
	Version     uint64    `json:"version"`
	Created     time.Time `json:"created"`
	Keyring     File      `json:"keyring"`
	Tariffs     File      `json:"tariffs"`
	Revocations File      `json:"revocations"` // Data may be empty: nothing revoked
}

type envelope struct {
	Format    string `json:"format"`
	KeyID     string `json:"key_id"`
	Payload   []byte `json:"payload"`
	Signature []byte `json:"signature"`
}

// KeyID is a short fingerprint of a public key, for error messages.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Validate checks the contents without a signature.
func (c *Contents) Validate() error {
	bad := func(field, why string) error {
		return fmt.Errorf("bundle %s: %s: %w", field, why, mark.ErrInvalid)
	}
	if c.Version == 0 {
		return bad("version", "must be at least 1")
	}
	if c.Created.IsZero() {
		return bad("created", "missing")
	}
	if len(c.Keyring.Data) == 0 {
		return bad("keyring", "empty")
	}
	if len(c.Tariffs.Data) == 0 {
		return bad("tariffs", "empty")
	}
	return nil
}

// Sign encodes c and signs it with priv.
func Sign(c Contents, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("bundle: distribution key has %d bytes, want %d: %w", len(priv), ed25519.PrivateKeySize, mark.ErrInvalid)
	}
	c.Created = c.Created.UTC()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("bundle: encode: %w", err)
	}
	env := envelope{
		Format:    Format,
		KeyID:     KeyID(priv.Public().(ed25519.PublicKey)),
		Payload:   payload,
		Signature: ed25519.Sign(priv, message(payload)),
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("bundle: encode envelope: %w", err)
	}
	if len(out) > MaxSize {
		return nil, fmt.Errorf("bundle: %d bytes, more than the limit of %d: %w", len(out), MaxSize, mark.ErrInvalid)
	}
	return out, nil
}

func message(payload []byte) []byte {
	m := make([]byte, 0, len(signContext)+len(payload))
	return append(append(m, signContext...), payload...)
}

// Open checks the signature of data against the pinned public key and
// returns the contents. A wrong key, altered bytes or a malformed file is
// mark.ErrInvalid with a message that says which.
func Open(data []byte, pub ed25519.PublicKey) (*Contents, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("bundle: pinned distribution key has %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, mark.ErrInvalid)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("bundle: %d bytes, more than the limit of %d: %w", len(data), MaxSize, mark.ErrInvalid)
	}
	var env envelope
	if err := strictDecode(data, &env); err != nil {
		return nil, fmt.Errorf("bundle: envelope: %w: %v", mark.ErrInvalid, err)
	}
	if env.Format != Format {
		return nil, fmt.Errorf("bundle: format %q, want %q: %w", env.Format, Format, mark.ErrInvalid)
	}
	if want := KeyID(pub); env.KeyID != want {
		return nil, mark.WithHint(fmt.Errorf("bundle: signed by key %q, but the pinned distribution key is %q: %w", env.KeyID, want, mark.ErrInvalid),
			"the bundle was not made with this network's distribution key; check sync.distribution_key")
	}
	if !ed25519.Verify(pub, message(env.Payload), env.Signature) {
		return nil, fmt.Errorf("bundle: signature does not verify (altered or forged bundle): %w", mark.ErrInvalid)
	}
	var c Contents
	if err := strictDecode(env.Payload, &c); err != nil {
		return nil, fmt.Errorf("bundle: payload: %w: %v", mark.ErrInvalid, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Read decodes a bundle without checking its signature. It is for
// markhub reading back the bundles it signed into its own store (it holds
// no public key to pin); a counter always uses Open.
func Read(data []byte) (*Contents, error) {
	var env envelope
	if err := strictDecode(data, &env); err != nil {
		return nil, fmt.Errorf("bundle: envelope: %w: %v", mark.ErrInvalid, err)
	}
	var c Contents
	if err := strictDecode(env.Payload, &c); err != nil {
		return nil, fmt.Errorf("bundle: payload: %w: %v", mark.ErrInvalid, err)
	}
	return &c, nil
}

// Newer checks that c may replace a bundle of version current: its version
// must be strictly greater. An older or equal one is mark.ErrConflict.
func (c *Contents) Newer(current uint64) error {
	if c.Version <= current {
		return fmt.Errorf("bundle version %d is not newer than %d in force (replayed or rolled back): %w", c.Version, current, mark.ErrConflict)
	}
	return nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	// encoding/json reads "Version" as version, DisallowUnknownFields
	// letting it by: the keys are spelt as json.Marshal writes them.
	if ke := jsonkey.Exact(data, v, jsonkey.Strict); ke != nil {
		return ke
	}
	return nil
}
