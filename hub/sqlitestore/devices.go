package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/internal/devicecookie"
	"markd/mark"
)

var _ hub.DeviceBook = (*DB)(nil)

// KnownDevice implements hub.DeviceBook.
func (d *DB) KnownDevice(ctx context.Context, name, idHash string) (hub.WebDevice, error) {
	list, err := d.devices(ctx, `WHERE user_name = ? AND id_hash = ?`, name, idHash)
	if err != nil {
		return hub.WebDevice{}, err
	}
	if len(list) == 0 {
		return hub.WebDevice{}, fmt.Errorf("device cookie of %q: %w", name, hub.ErrNoDevice)
	}
	return list[0], nil
}

// RecordDevice implements hub.DeviceBook.
func (d *DB) RecordDevice(ctx context.Context, name, idHash, agent string, renew int64, at time.Time) (hub.WebDevice, error) {
	agent = devicecookie.Neutral(agent, devicecookie.MaxAgent)
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.WebDevice{}, hub.Unavailable("record device", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM web_users WHERE name = ?`, name).Scan(&n); err != nil {
		return hub.WebDevice{}, hub.Unavailable("read user", err)
	}
	if n == 0 {
		return hub.WebDevice{}, fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound)
	}
	dev := hub.WebDevice{User: name, Issued: at, LastUsed: at, Agent: agent}
	if renew != 0 {
		var issued string
		err := tx.QueryRowContext(ctx, `UPDATE web_devices SET id_hash = ?, last_used = ?, agent = ? WHERE id = ? AND user_name = ? RETURNING issued_at`,
			idHash, ts(at), agent, renew, name).Scan(&issued)
		switch {
		case err == nil:
			dev.ID, dev.Issued = renew, parseTS(issued)
		case !errors.Is(err, sql.ErrNoRows):
			return hub.WebDevice{}, hub.Unavailable("renew device", err)
		}
	}
	if dev.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO web_devices(user_name, id_hash, issued_at, last_used, agent) VALUES (?,?,?,?,?)`,
			name, idHash, ts(at), ts(at), agent)
		if err != nil {
			return hub.WebDevice{}, hub.Unavailable("record device", err)
		}
		if dev.ID, err = res.LastInsertId(); err != nil {
			return hub.WebDevice{}, hub.Unavailable("record device", err)
		}
		// A device unused for longer than its cookie lives has none left.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_devices WHERE user_name = ? AND last_used < ?`,
			name, ts(at.Add(-devicecookie.Lifetime))); err != nil {
			return hub.WebDevice{}, hub.Unavailable("drop expired devices", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_devices WHERE user_name = ? AND id NOT IN
			(SELECT id FROM web_devices WHERE user_name = ? ORDER BY last_used DESC, id DESC LIMIT ?)`, name, name, hub.MaxDevices); err != nil {
			return hub.WebDevice{}, hub.Unavailable("drop old devices", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return hub.WebDevice{}, hub.Unavailable("record device", err)
	}
	return dev, nil
}

// Devices implements hub.DeviceBook.
func (d *DB) Devices(ctx context.Context, name string) ([]hub.WebDevice, error) {
	return d.devices(ctx, `WHERE user_name = ? ORDER BY last_used DESC, id DESC`, name)
}

// RevokeDevice implements hub.DeviceBook.
func (d *DB) RevokeDevice(ctx context.Context, name string, id int64) (hub.WebDevice, error) {
	v := hub.WebDevice{ID: id, User: name}
	err := d.db.QueryRowContext(ctx, `DELETE FROM web_devices WHERE id = ? AND user_name = ? RETURNING issued_at, last_used, agent`, id, name).
		Scan(sqlrow.At(&v.Issued), sqlrow.At(&v.LastUsed), &v.Agent)
	if err != nil {
		return hub.WebDevice{}, sqlrow.One(err, "revoke device", mark.WithHint(fmt.Errorf("device %d of %q: %w", id, name, hub.ErrNoDevice),
			"markhub user devices "+name+" lists its devices"))
	}
	return v, nil
}

func (d *DB) devices(ctx context.Context, tail string, args ...any) ([]hub.WebDevice, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, user_name, issued_at, last_used, agent FROM web_devices `+tail, args...)
	return sqlrow.Read(rows, err, "read devices", sqlrow.Device)
}
