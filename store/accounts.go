package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"markd/mark"
)

// ErrUserDisabled is the login error of a disabled account (it wraps
// mark.ErrUnauthorized too).
var ErrUserDisabled = errors.New("account disabled")

// epoch is a session's view of its account: the creation time tells an
// account removed and added again under the same name from the old one,
// the generation counts password changes and disables.
func epoch(created string, gen int64) string {
	return created + "#" + strconv.FormatInt(gen, 10)
}

// DisableUser stops an account from logging in and ends its sessions; its
// rows and the audit log naming it stay. Disabling a disabled account
// changes nothing but ends any session again.
func (d *DB) DisableUser(ctx context.Context, name string) error {
	now := d.Now().UTC().Format(time.RFC3339Nano)
	return d.changeUser(ctx, name, ActionUserDisable,
		`UPDATE users SET disabled_at = coalesce(disabled_at, ?), updated_at = ?, session_gen = session_gen + 1 WHERE name = ?`,
		now, now, name)
}

// EnableUser lets a disabled account log in again (with its old password).
func (d *DB) EnableUser(ctx context.Context, name string) error {
	now := d.Now().UTC().Format(time.RFC3339Nano)
	return d.changeUser(ctx, name, ActionUserEnable,
		`UPDATE users SET disabled_at = NULL, updated_at = ? WHERE name = ?`, now, name)
}

// RemoveUser deletes an account: it cannot log in and its sessions end.
// What it did stays: the audit log is append-only and names people by
// name, and records keep their operator's name. The name may be added
// again later as a new account (old sessions do not come back: the epoch
// holds the creation time).
func (d *DB) RemoveUser(ctx context.Context, name string) error {
	return d.changeUser(ctx, name, ActionUserRemove, `DELETE FROM users WHERE name = ?`, name)
}

// errNoAccount is the answer for an account name the store does not
// have: mark.ErrNotFound, with where to see the names.
func errNoAccount(name string) error {
	return mark.WithHint(fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound),
		"markd user list shows the accounts")
}

// changeUser runs one statement on the account name and audits it; an
// unknown name is mark.ErrNotFound.
func (d *DB) changeUser(ctx context.Context, name, action, query string, args ...any) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return storeErr(action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoAccount(name)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: "cli", Action: action, Detail: name})
	})
}
