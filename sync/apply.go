package sync

import (
	"markd/bundle"
	"markd/mark"
	"markd/verify"
)

// HolderApplier applies bundles by swapping a new verifier into h: scans
// judged concurrently see either the old lists or the new ones, never a mix.
// While bundles are in use they win over the config files: if a reload
// from the files replaced the lists, the next poll puts the bundle back.
func HolderApplier(h *verify.Holder) Applier { return holderApplier{h} }

type holderApplier struct{ h *verify.Holder }

func (a holderApplier) Apply(c *bundle.Contents) (mark.Versions, error) {
	v, err := verify.FromBundle(c)
	if err != nil {
		return mark.Versions{}, err
	}
	a.h.Swap(v)
	return v.Versions(), nil
}

func (a holderApplier) InForce() mark.Versions { return a.h.Versions() }
