package verify

import (
	"errors"
	"fmt"

	"markd/decode"
	"markd/mark"
)

// Sentinels of CheckSignature; each also wraps mark.ErrInvalid.
var (
	ErrUnknownKey   = fmt.Errorf("key id not in the keyring: %w", mark.ErrInvalid)
	ErrBadSignature = fmt.Errorf("signature does not verify: %w", mark.ErrInvalid)
)

// CheckSignature decodes text and checks its signature with the key the
// mark names (§3), and nothing else: no dates, tariffs or office. It
// returns the decoded mark when the signature verifies. The collector uses
// it to check what a terminal says it accepted. The errors are those of
// decode.Text and decode.Body, ErrUnknownKey and ErrBadSignature.
func (k *Keyring) CheckSignature(text string) (mark.Mark, error) {
	body, sig, err := decode.Text(text)
	if err != nil {
		return mark.Mark{}, err
	}
	if body[0] != 1 {
		return mark.Mark{}, fmt.Errorf("version %d: %w", body[0], decode.ErrMalformed)
	}
	m, err := decode.Body(body[:])
	if err != nil {
		return mark.Mark{}, errors.Join(decode.ErrMalformed, err)
	}
	key, ok := k.Key(m.KeyID)
	if !ok {
		return mark.Mark{}, fmt.Errorf("key %d: %w", m.KeyID, ErrUnknownKey)
	}
	if key.Alg != m.Alg || !key.verify(body, sig) {
		return mark.Mark{}, fmt.Errorf("key %d: %w", m.KeyID, ErrBadSignature)
	}
	return m, nil
}
