package sync

import (
	"fmt"

	"markd/bundle"
	"markd/mark"
	"markd/verify"
)

// Verifier parses the three lists of a bundle into one verifier, all or
// nothing. markhub uses it to refuse publishing lists a counter could not load.
func Verifier(c *bundle.Contents) (*verify.Verifier, error) {
	k, err := verify.ParseKeyring(c.Keyring.Name, c.Keyring.Data)
	if err != nil {
		return nil, fmt.Errorf("bundle %d keyring: %w", c.Version, err)
	}
	t, err := verify.ParseTariffs(c.Tariffs.Name, c.Tariffs.Data)
	if err != nil {
		return nil, fmt.Errorf("bundle %d tariffs: %w", c.Version, err)
	}
	var r *verify.Revocations
	if len(c.Revocations.Data) > 0 {
		if r, err = verify.ParseRevocations(c.Revocations.Name, c.Revocations.Data); err != nil {
			return nil, fmt.Errorf("bundle %d revocations: %w", c.Version, err)
		}
	}
	return verify.New(k, t, r), nil
}

// HolderApplier applies bundles by swapping a new verifier into h: scans
// judged concurrently see either the old lists or the new ones, never a mix.
// While bundles are in use they win over the config files: if a reload
// from the files replaced the lists, the next poll puts the bundle back.
func HolderApplier(h *verify.Holder) Applier { return holderApplier{h} }

type holderApplier struct{ h *verify.Holder }

func (a holderApplier) Apply(c *bundle.Contents) (mark.Versions, error) {
	v, err := Verifier(c)
	if err != nil {
		return mark.Versions{}, err
	}
	a.h.Swap(v)
	return v.Versions(), nil
}

func (a holderApplier) InForce() mark.Versions { return a.h.Versions() }
