package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"markd/internal/devicecookie"
	"markd/mark"
)

// Audit actions of the device cookies.
const (
	// ActionDeviceRevoke: one device cookie of an account revoked, from
	// the pages (the actor is the person) or markd user revoke-device.
	ActionDeviceRevoke = "device_revoke"
)

// MaxDevices is how many device cookies (browsers) an account keeps
// recorded: a login from one more drops the one unused longest, whose
// browser then counts as having none.
const MaxDevices = 10

// Device is one browser that logged in as an account and carries its
// device cookie (internal/devicecookie).
type Device struct {
	ID       int64     `json:"id"` // what the pages and markd user revoke-device name it by
	User     string    `json:"user"`
	Issued   time.Time `json:"issued"`    // its first login
	LastUsed time.Time `json:"last_used"` // its last login
	Agent    string    `json:"agent"`     // devicecookie.Agent of its User-Agent
}

// ErrNoDevice is the answer for a device id the account does not have
// (never, or revoked or dropped since); a mark.ErrNotFound.
var ErrNoDevice = fmt.Errorf("no such device: %w", mark.ErrNotFound)

// KnownDevice is the recorded device of name whose cookie carries the
// device id idHash (devicecookie.IDHash), or ErrNoDevice: a revoked,
// dropped or never recorded cookie (made before migration 072) is no
// device cookie.
func (d *DB) KnownDevice(ctx context.Context, name, idHash string) (Device, error) {
	list, err := d.devices(ctx, `WHERE user_name = ? AND id_hash = ?`, name, idHash)
	if err != nil {
		return Device{}, err
	}
	if len(list) == 0 {
		return Device{}, fmt.Errorf("device cookie of %q: %w", name, ErrNoDevice)
	}
	return list[0], nil
}

// RecordDevice records the device cookie whose id hashes to idHash that a
// login of name at at gave its browser. renew is the id of the device the
// browser logged in with (0: none): its row takes the new cookie, keeping
// its first login; otherwise a new row is added, the account's rows
// unused for longer than devicecookie.Lifetime (their cookies have
// expired) dropped and, past MaxDevices, the rows unused longest. An unknown account is mark.ErrNotFound.
func (d *DB) RecordDevice(ctx context.Context, name, idHash, agent string, renew int64, at time.Time) (Device, error) {
	agent = devicecookie.Neutral(agent, devicecookie.MaxAgent)
	ts := at.UTC().Format(time.RFC3339Nano)
	var id int64
	err := d.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ?`, name).Scan(&n); err != nil {
			return storeErr("read users", err)
		}
		if n == 0 {
			return errNoAccount(name)
		}
		if renew != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE user_devices SET id_hash = ?, last_used = ?, agent = ? WHERE id = ? AND user_name = ?`,
				idHash, ts, agent, renew, name)
			if err != nil {
				return storeErr("renew device", err)
			}
			if k, _ := res.RowsAffected(); k == 1 {
				id = renew
				return nil
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO user_devices(user_name, id_hash, issued_at, last_used, agent) VALUES (?, ?, ?, ?, ?)`,
			name, idHash, ts, ts, agent)
		if err != nil {
			return storeErr("record device", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return storeErr("record device", err)
		}
		// A device unused for longer than its cookie lives has none left.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_devices WHERE user_name = ? AND last_used < ?`,
			name, at.Add(-devicecookie.Lifetime).UTC().Format(time.RFC3339Nano)); err != nil {
			return storeErr("drop expired devices", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_devices WHERE user_name = ? AND id NOT IN
			(SELECT id FROM user_devices WHERE user_name = ? ORDER BY last_used DESC, id DESC LIMIT ?)`, name, name, MaxDevices); err != nil {
			return storeErr("drop old devices", err)
		}
		return nil
	})
	if err != nil {
		return Device{}, err
	}
	return Device{ID: id, User: name, Issued: at, LastUsed: at, Agent: agent}, nil
}

// Devices lists the recorded devices of name ("": of every account), by
// account, the last used first.
func (d *DB) Devices(ctx context.Context, name string) ([]Device, error) {
	if name == "" {
		return d.devices(ctx, `ORDER BY user_name, last_used DESC, id DESC`)
	}
	return d.devices(ctx, `WHERE user_name = ? ORDER BY last_used DESC, id DESC`, name)
}

// RevokeDevice deletes the device id of the account name, so its browser
// counts as having no device cookie, and audits it with actor ("cli" for
// markd user revoke-device); an id name does not have is ErrNoDevice.
func (d *DB) RevokeDevice(ctx context.Context, name string, id int64, actor string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		var agent string
		err := tx.QueryRowContext(ctx, `DELETE FROM user_devices WHERE id = ? AND user_name = ? RETURNING agent`, id, name).Scan(&agent)
		if errors.Is(err, sql.ErrNoRows) {
			return mark.WithHint(fmt.Errorf("device %d of %q: %w", id, name, ErrNoDevice),
				"markd user devices "+name+" lists its devices")
		}
		if err != nil {
			return storeErr("revoke device", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: actor, Action: ActionDeviceRevoke,
			Detail: name + " device " + strconv.FormatInt(id, 10) + " (" + agent + ")"})
	})
}

func (d *DB) devices(ctx context.Context, tail string, args ...any) ([]Device, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, user_name, issued_at, last_used, agent FROM user_devices `+tail, args...)
	if err != nil {
		return nil, storeErr("read devices", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var v Device
		var issued, used string
		if err := rows.Scan(&v.ID, &v.User, &issued, &used, &v.Agent); err != nil {
			return nil, storeErr("read devices", err)
		}
		if v.Issued, err = time.Parse(time.RFC3339Nano, issued); err != nil {
			return nil, fmt.Errorf("device %d: bad time %q in user_devices: %w", v.ID, issued, mark.ErrInvalid)
		}
		if v.LastUsed, err = time.Parse(time.RFC3339Nano, used); err != nil {
			return nil, fmt.Errorf("device %d: bad time %q in user_devices: %w", v.ID, used, mark.ErrInvalid)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read devices", err)
	}
	return out, nil
}
