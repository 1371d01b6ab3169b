package bundle

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"

	"markd/internal/edpoint"
	"markd/mark"
)

// NewKey makes a distribution key pair.
func NewKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: generate key: %w", err)
	}
	return pub, priv, nil
}

// EncodePublicKey is the form pinned in the counter config
// (sync.distribution_key): standard base64 of the 32 raw bytes.
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// ParsePublicKey reads the pinned key (base64 of 32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("distribution key: not base64: %w: %v", mark.ErrInvalid, err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("distribution key: %d bytes, want %d: %w", len(b), ed25519.PublicKeySize, mark.ErrInvalid)
	}
	if err := edpoint.Check(b); err != nil { // anyone could sign bundles for a weak key
		return nil, fmt.Errorf("distribution key %q refused: %w: %w", strings.TrimSpace(s), err, mark.ErrInvalid)
	}
	return ed25519.PublicKey(b), nil
}

// EncodePrivateKey returns the PEM (PKCS #8) form of the private key.
func EncodePrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("bundle: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a PEM (PKCS #8) Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("distribution private key: no PEM PRIVATE KEY block: %w", mark.ErrInvalid)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("distribution private key: %w: %v", mark.ErrInvalid, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("distribution private key: %T, want Ed25519: %w", k, mark.ErrInvalid)
	}
	return priv, nil
}
