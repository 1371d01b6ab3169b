package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/internal/devicecookie"
	"markd/mark"
)

var _ hub.DeviceBook = (*DB)(nil)

// KnownDevice implements hub.DeviceBook.
func (d *DB) KnownDevice(ctx context.Context, name, idHash string) (hub.WebDevice, error) {
	list, err := d.devices(ctx, `WHERE user_name = $1 AND id_hash = $2`, name, idHash)
	if err != nil {
		return hub.WebDevice{}, err
	}
	if len(list) == 0 {
		return hub.WebDevice{}, fmt.Errorf("device cookie of %q: %w", name, hub.ErrNoDevice)
	}
	return list[0], nil
}

// RecordDevice implements hub.DeviceBook. The account's row is locked
// (FOR UPDATE) so two logins at once do not both keep MaxDevices + 1.
func (d *DB) RecordDevice(ctx context.Context, name, idHash, agent string, renew int64, at time.Time) (hub.WebDevice, error) {
	agent = devicecookie.Neutral(agent, devicecookie.MaxAgent)
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return hub.WebDevice{}, hub.Unavailable("record device", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit a no-op
	var one int
	err = tx.QueryRow(ctx, `SELECT 1 FROM web_users WHERE name = $1 FOR UPDATE`, name).Scan(&one)
	if err != nil {
		return hub.WebDevice{}, sqlrow.One(err, "read user", fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound))
	}
	at = at.UTC()
	dev := hub.WebDevice{User: name, Issued: at, LastUsed: at, Agent: agent}
	if renew != 0 {
		var issued time.Time
		err := tx.QueryRow(ctx, `UPDATE web_devices SET id_hash = $1, last_used = $2, agent = $3 WHERE id = $4 AND user_name = $5 RETURNING issued_at`,
			idHash, at, agent, renew, name).Scan(&issued)
		switch {
		case err == nil:
			dev.ID, dev.Issued = renew, issued.UTC()
		case !errors.Is(err, pgx.ErrNoRows):
			return hub.WebDevice{}, hub.Unavailable("renew device", err)
		}
	}
	if dev.ID == 0 {
		if err := tx.QueryRow(ctx, `INSERT INTO web_devices(user_name, id_hash, issued_at, last_used, agent) VALUES ($1,$2,$3,$3,$4) RETURNING id`,
			name, idHash, at, agent).Scan(&dev.ID); err != nil {
			return hub.WebDevice{}, hub.Unavailable("record device", err)
		}
		// A device unused for longer than its cookie lives has none left.
		if _, err := tx.Exec(ctx, `DELETE FROM web_devices WHERE user_name = $1 AND last_used < $2`,
			name, at.Add(-devicecookie.Lifetime)); err != nil {
			return hub.WebDevice{}, hub.Unavailable("drop expired devices", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM web_devices WHERE user_name = $1 AND id NOT IN
			(SELECT id FROM web_devices WHERE user_name = $1 ORDER BY last_used DESC, id DESC LIMIT $2)`, name, hub.MaxDevices); err != nil {
			return hub.WebDevice{}, hub.Unavailable("drop old devices", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return hub.WebDevice{}, hub.Unavailable("record device", err)
	}
	return dev, nil
}

// Devices implements hub.DeviceBook.
func (d *DB) Devices(ctx context.Context, name string) ([]hub.WebDevice, error) {
	return d.devices(ctx, `WHERE user_name = $1 ORDER BY last_used DESC, id DESC`, name)
}

// RevokeDevice implements hub.DeviceBook.
func (d *DB) RevokeDevice(ctx context.Context, name string, id int64) (hub.WebDevice, error) {
	v := hub.WebDevice{ID: id, User: name}
	err := d.pool.QueryRow(ctx, `DELETE FROM web_devices WHERE id = $1 AND user_name = $2 RETURNING issued_at, last_used, agent`, id, name).
		Scan(sqlrow.At(&v.Issued), sqlrow.At(&v.LastUsed), &v.Agent)
	if err != nil {
		return hub.WebDevice{}, sqlrow.One(err, "revoke device", mark.WithHint(fmt.Errorf("device %d of %q: %w", id, name, hub.ErrNoDevice),
			"markhub user devices "+name+" lists its devices"))
	}
	return v, nil
}

func (d *DB) devices(ctx context.Context, tail string, args ...any) ([]hub.WebDevice, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, user_name, issued_at, last_used, agent FROM web_devices `+tail, args...)
	return sqlrow.Read(rows, err, "read devices", sqlrow.Device)
}
