package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Audit actions.
const (
	ActionConfirm     = "confirm_rejection"
	ActionOverride    = "override_accept"
	ActionLogin       = "login"
	ActionLoginFailed = "login_failed"
	ActionLogout      = "logout"
	ActionUserAdd     = "user_add"
	ActionUserPasswd  = "user_passwd"
	ActionUserDisable = "user_disable"
	ActionUserEnable  = "user_enable"
	ActionUserRemove  = "user_remove"
)

// AuditEntry is one line of the append-only audit log: who did what, when,
// to which record, and why.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	RecordID string    `json:"record_id,omitempty"`
	Note     string    `json:"note,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// Audit appends one entry on its own (logins, logouts). Review actions
// append theirs inside their own transaction.
func (d *DB) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = d.Now()
	}
	return d.Write(ctx, func(tx *sql.Tx) error { return appendAudit(ctx, tx, e) })
}

func appendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(at, actor, action, record_id, note, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.RecordID, e.Note, e.Detail)
	if err != nil {
		return storeErr("append audit", err)
	}
	return nil
}

// AuditFor returns the audit lines of one record, oldest first.
func (d *DB) AuditFor(ctx context.Context, recordID string) ([]AuditEntry, error) {
	return d.queryAudit(ctx, `WHERE record_id = ? ORDER BY id`, recordID)
}

// RecentAudit returns the newest limit audit lines, newest first.
func (d *DB) RecentAudit(ctx context.Context, limit int) ([]AuditEntry, error) {
	return d.queryAudit(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

func (d *DB) queryAudit(ctx context.Context, tail string, args ...any) ([]AuditEntry, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, at, actor, action, record_id, note, detail FROM audit `+tail, args...)
	if err != nil {
		return nil, storeErr("read audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.RecordID, &e.Note, &e.Detail); err != nil {
			return nil, storeErr("read audit", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("audit %d: bad time %q: %w", e.ID, at, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read audit", err)
	}
	return out, nil
}
