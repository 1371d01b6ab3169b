package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"markd/mark"
)

// DeviceKey is the secret the web pages sign the device cookies of the
// account name with (a browser that logged in as it before is spared the
// per-account login limit). It is derived from the account's password
// hash, which never leaves the store otherwise, and its epoch: a new
// password, a disable (even if enabled again), a removal and an add
// again under the same name each give a new key, so every device cookie
// made before stops counting. An unknown name is mark.ErrNotFound, a
// disabled account ErrUserDisabled.
func (d *DB) DeviceKey(ctx context.Context, name string) ([]byte, error) {
	var (
		hash, created string
		gen           int64
		disabled      sql.NullString
	)
	err := d.db.QueryRowContext(ctx, `SELECT pass_hash, created_at, session_gen, disabled_at FROM users WHERE name = ?`, name).
		Scan(&hash, &created, &gen, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errNoAccount(name)
	case err != nil:
		return nil, storeErr("read user", err)
	case disabled.Valid:
		return nil, fmt.Errorf("device key of %q: %w: %w", name, ErrUserDisabled, mark.ErrUnauthorized)
	}
	k := sha256.Sum256([]byte("markd device key v1\x00" + hash + "\x00" + epoch(created, gen)))
	return k[:], nil
}
