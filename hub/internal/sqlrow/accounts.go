package sqlrow

import (
	"fmt"

	"markd/hub"
	"markd/mark"
)

// Account reads the row of the account name (password_hash, epoch,
// disabled): no row is mark.ErrNotFound, a disabled account
// hub.ErrUserDisabled with its hash and epoch still returned.
func Account(row Scanner, name string) (hash string, epoch int64, err error) {
	var disabled bool
	if err := row.Scan(&hash, &epoch, &disabled); err != nil {
		return "", 0, One(err, "read user", fmt.Errorf("user %q: %w", name, mark.ErrNotFound))
	}
	if disabled {
		return hash, epoch, fmt.Errorf("user %q: %w", name, hub.ErrUserDisabled)
	}
	return hash, epoch, nil
}
