package daemon

import (
	"fmt"

	"markd/mark"
	"markd/verify"
)

// reload loads keyring, tariffs and revocations anew and swaps them in all
// together; a file that does not load is refused with an error naming it,
// and the lists in force stay. While a signed bundle from the collector is
// in force the files are not read: the bundle's lists are newer and
// verified, and only a newer bundle replaces them.
func (m *Main) reload(why string) { _ = m.ReloadLists(why) } // logged

// ReloadLists is reload; its error (nil when the lists were replaced) says
// why they were not: the file that did not load, or the signed bundle in
// force (mark.ErrConflict).
func (m *Main) ReloadLists(why string) error {
	c, log := m.Config, m.Log
	if v := m.bundleVersion(); v > 0 {
		log.Warn("reload skipped: the lists of a signed bundle are in force; the config files apply again only without a distribution key",
			"why", why, "bundle", v, "in_force", m.Holder.Versions())
		return fmt.Errorf("the lists of signed bundle %d are in force; the config files apply again only without sync.distribution_key: %w", v, mark.ErrConflict)
	}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, c.Revoked)
	if err != nil {
		m.Metrics.Reloaded(false)
		log.Error("reload refused: the lists in force stay", "why", why, "err", err,
			"keyring", c.Keyring, "tariffs", c.Tariffs, "revoked", c.Revoked, "in_force", m.Holder.Versions())
		return err
	}
	m.Holder.Swap(v)
	m.Metrics.Reloaded(true)
	log.Info("lists reloaded", "why", why, "versions", v.Versions())
	return nil
}
