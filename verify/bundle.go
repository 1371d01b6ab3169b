package verify

import (
	"fmt"

	"markd/bundle"
)

// FromBundle parses the three lists of a bundle into one verifier, all
// or nothing: the counter applies a bundle through it, markhub refuses to
// publish lists a counter could not load and judges uploaded acceptances
// under the lists it published.
func FromBundle(c *bundle.Contents) (*Verifier, error) {
	k, err := ParseKeyring(c.Keyring.Name, c.Keyring.Data)
	if err != nil {
		return nil, fmt.Errorf("bundle %d keyring: %w", c.Version, err)
	}
	t, err := ParseTariffs(c.Tariffs.Name, c.Tariffs.Data)
	if err != nil {
		return nil, fmt.Errorf("bundle %d tariffs: %w", c.Version, err)
	}
	var r *Revocations
	if len(c.Revocations.Data) > 0 {
		if r, err = ParseRevocations(c.Revocations.Name, c.Revocations.Data); err != nil {
			return nil, fmt.Errorf("bundle %d revocations: %w", c.Version, err)
		}
	}
	return New(k, t, r), nil
}
