package sync

import (
	"log/slog"

	"markd/bundle"
	"markd/mark"
	"markd/verify"
)

// HolderApplier applies bundles by swapping a new verifier into h: scans
// judged concurrently see either the old lists or the new ones, never a mix.
// While bundles are in use they win over the config files: if a reload
// from the files replaced the lists, the next poll puts the bundle back.
// A bundle whose keyring holds a weak Ed25519 key is applied with that
// key distrusted (spec-audit.md item 10), each such key logged on log at
// ERROR once an application (slog.Default when nil).
func HolderApplier(h *verify.Holder, log *slog.Logger) Applier {
	if log == nil {
		log = slog.Default()
	}
	return holderApplier{h, log}
}

type holderApplier struct {
	h   *verify.Holder
	log *slog.Logger
}

func (a holderApplier) Apply(c *bundle.Contents) (mark.Versions, error) {
	v, err := verify.FromBundle(c)
	if err != nil {
		return mark.Versions{}, err
	}
	a.h.Swap(v)
	verify.LogDistrusted(a.log, v.Keyring(), "bundle", c.Version)
	return v.Versions(), nil
}

func (a holderApplier) InForce() mark.Versions { return a.h.Versions() }
