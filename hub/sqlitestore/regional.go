package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/internal/sqliteerr"
	"markd/mark"
)

var _ hub.Regional = (*DB)(nil)

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Fleet implements hub.Regional: the newest record of each terminal comes
// from the (terminal, at) index, one probe per terminal.
func (d *DB) Fleet(ctx context.Context) ([]hub.FleetRow, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT t.name, t.office, t.token_hash, t.created_at, t.clock_skew_ms, t.seen_at, t.waiting_records, t.waiting_at, t.zone_note,
		r.at, r.keyring_version, r.tariffs_version, r.revocations_version
		FROM terminals t LEFT JOIN records r ON r.rowid = (SELECT rowid FROM records WHERE terminal = t.name ORDER BY at DESC LIMIT 1)
		ORDER BY t.office, t.name`)
	return sqlrow.Read(rows, err, "fleet", sqlrow.FleetRow)
}

// ReuseAlerts implements hub.Regional.
func (d *DB) ReuseAlerts(ctx context.Context, open bool, limit int) ([]hub.RegionalAlert, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, a.serial, a.terminal, a.record_id, coalesce(t.office, 0),
		b.other_at, a.other_terminal, a.other_record_id, a.other_office, a.other_at, a.detected_at,
		a.state, a.note, a.state_by
		FROM alerts a LEFT JOIN terminals t ON t.name = a.terminal
		LEFT JOIN alerts b ON b.terminal = a.other_terminal AND b.record_id = a.other_record_id
			AND b.other_terminal = a.terminal AND b.other_record_id = a.record_id
		WHERE (a.terminal < a.other_terminal OR (a.terminal = a.other_terminal AND a.record_id < a.other_record_id))
			AND (? = 0 OR a.state <> 'resolved')
		ORDER BY a.id DESC LIMIT ?`, boolInt(open), limit)
	return sqlrow.Read(rows, err, "reuse alerts", sqlrow.RegionalAlert)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetAlertState implements hub.Regional.
func (d *DB) SetAlertState(ctx context.Context, id int64, state hub.AlertState, actor, note string, at time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var term, rec, oterm, orec string
	err = tx.QueryRowContext(ctx, `SELECT terminal, record_id, other_terminal, other_record_id FROM alerts WHERE id = ?`, id).
		Scan(&term, &rec, &oterm, &orec)
	if err != nil {
		return sqlrow.One(err, "read alert", fmt.Errorf("alert %d: %w", id, mark.ErrNotFound))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = ?, note = ?, state_by = ?
		WHERE (terminal = ? AND record_id = ? AND other_terminal = ? AND other_record_id = ?)
		   OR (terminal = ? AND record_id = ? AND other_terminal = ? AND other_record_id = ?)`,
		string(state), note, actor, term, rec, oterm, orec, oterm, orec, term, rec); err != nil {
		return hub.Unavailable("update alert", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_audit(alert_id, actor, state, note, at) VALUES (?,?,?,?,?)`,
		id, actor, string(state), note, ts(at)); err != nil {
		return hub.Unavailable("audit alert", err)
	}
	if err := tx.Commit(); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// AlertAudit implements hub.Regional.
func (d *DB) AlertAudit(ctx context.Context, id int64) ([]hub.AlertChange, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT actor, state, note, at FROM alert_audit WHERE alert_id = ? ORDER BY id`, id)
	return sqlrow.Read(rows, err, "alert audit", sqlrow.AlertChange)
}

// Lookup implements hub.Regional.
func (d *DB) Lookup(ctx context.Context, kind hub.LookupKind, value string, limit int) ([]hub.StoredRecord, error) {
	n, err := hub.LookupValue(kind, value)
	if err != nil {
		return nil, err
	}
	where := map[hub.LookupKind]string{
		hub.BySerial:   `serial = ?`,
		hub.ByTracking: `tracking = ?`,
		hub.ByContract: `contract = ?`,
	}[kind]
	return d.listRecords(ctx, where+` ORDER BY at, terminal, id LIMIT ?`, n, limit)
}

// Unverified implements hub.Regional.
func (d *DB) Unverified(ctx context.Context, limit int) ([]hub.StoredRecord, error) {
	return d.listRecords(ctx, `verification = 'unverified' ORDER BY at DESC, terminal, id LIMIT ?`, limit)
}

// Disputed implements hub.Regional.
func (d *DB) Disputed(ctx context.Context, state hub.DisputeState, limit int) ([]hub.StoredRecord, error) {
	switch state {
	case hub.DisputeOpen:
		return d.listRecords(ctx, `disputed IS NOT NULL AND dispute_reviewed_at IS NULL ORDER BY at DESC, terminal, id LIMIT ?`, limit)
	case hub.DisputeReviewed:
		return d.listRecords(ctx, `dispute_reviewed_at IS NOT NULL AND disputed IS NOT NULL
			ORDER BY dispute_reviewed_at DESC, terminal, id LIMIT ?`, limit)
	}
	return d.listRecords(ctx, `disputed IS NOT NULL ORDER BY at DESC, terminal, id LIMIT ?`, limit)
}

// SetDisputeState implements hub.Regional.
func (d *DB) SetDisputeState(ctx context.Context, terminal, id string, state hub.DisputeState, actor, note string, at time.Time) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	// Disputed or questioned: reviewed alike.
	var disputed sql.NullString
	var questioned bool
	err = tx.QueryRowContext(ctx, `SELECT coalesce(disputed, questioned), questioned IS NOT NULL FROM records WHERE terminal = ? AND id = ?`,
		terminal, id).Scan(&disputed, &questioned)
	if err != nil {
		return sqlrow.One(err, "read record", fmt.Errorf("record %q of terminal %q: %w", id, terminal, mark.ErrNotFound))
	}
	if !disputed.Valid {
		return fmt.Errorf("record %q of terminal %q: %w", id, terminal, hub.ErrNotDisputed)
	}
	var reviewed any // NULL: open
	if state == hub.DisputeReviewed {
		reviewed = ts(at)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE records SET dispute_reviewed_at = ?, dispute_by = ?, dispute_note = ?
		WHERE terminal = ? AND id = ?`, reviewed, actor, note, terminal, id); err != nil {
		return hub.Unavailable("review dispute", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dispute_audit(terminal, record_id, actor, state, note, at) VALUES (?,?,?,?,?,?)`,
		terminal, id, actor, string(state), note, ts(at)); err != nil {
		return hub.Unavailable("audit dispute", err)
	}
	if questioned { // its counter learns of the change at its next pull
		if err := noteQuestioned(ctx, tx, terminal, id); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// DisputeAudit implements hub.Regional.
func (d *DB) DisputeAudit(ctx context.Context, terminal, id string) ([]hub.DisputeChange, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT actor, state, note, at FROM dispute_audit WHERE terminal = ? AND record_id = ? ORDER BY id`,
		terminal, id)
	return sqlrow.Read(rows, err, "dispute audit", sqlrow.DisputeChange)
}

func (d *DB) listRecords(ctx context.Context, where string, args ...any) ([]hub.StoredRecord, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+sqlrow.ListedColumns+` FROM records WHERE `+where, args...)
	return sqlrow.Read(rows, err, "lookup", sqlrow.Listed)
}

// AddUser implements hub.Regional.
func (d *DB) AddUser(ctx context.Context, name, hash string, created time.Time) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO web_users(name, password_hash, created_at) VALUES (?,?,?)`, name, hash, ts(created))
	if sqliteerr.Of(err) == sqliteerr.Constraint {
		return fmt.Errorf("user %q already exists: %w", name, mark.ErrConflict)
	}
	if err != nil {
		return hub.Unavailable("add user", err)
	}
	return nil
}

// PasswordHash implements hub.Regional.
func (d *DB) PasswordHash(ctx context.Context, name string) (string, error) {
	h, _, err := sqlrow.Account(d.db.QueryRowContext(ctx, `SELECT password_hash, epoch, disabled FROM web_users WHERE name = ?`, name), name)
	return h, err
}

// SetPassword implements hub.Regional.
func (d *DB) SetPassword(ctx context.Context, name, hash string) (int, error) {
	return d.changeUser(ctx, "set password", name, true, `UPDATE web_users SET password_hash = ?, epoch = epoch + 1 WHERE name = ?`, hash, name)
}

// SetDisabled implements hub.Regional.
func (d *DB) SetDisabled(ctx context.Context, name string, disabled bool) (int, error) {
	if disabled {
		return d.changeUser(ctx, "disable user", name, true, `UPDATE web_users SET disabled = 1, epoch = epoch + 1 WHERE name = ?`, name)
	}
	return d.changeUser(ctx, "enable user", name, false, `UPDATE web_users SET disabled = 0 WHERE name = ?`, name)
}

// DeviceSecret implements hub.Regional.
func (d *DB) DeviceSecret(ctx context.Context, name string) (string, int64, error) {
	h, epoch, err := sqlrow.Account(d.db.QueryRowContext(ctx, `SELECT password_hash, epoch, disabled FROM web_users WHERE name = ?`, name), name)
	if err != nil {
		return "", 0, err
	}
	return h, epoch, nil
}

// changeUser runs update (of the account name, args) and, when end, ends
// every session of the account in the same transaction; it returns how
// many ended. What names the change in errors.
func (d *DB) changeUser(ctx context.Context, what, name string, end bool, update string, args ...any) (int, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, hub.Unavailable(what, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return 0, hub.Unavailable(what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound)
	}
	var ended int64
	if end {
		res, err = tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = ?`, name)
		if err != nil {
			return 0, hub.Unavailable("end sessions", err)
		}
		ended, _ = res.RowsAffected()
		// The epoch moved on: the account's device cookies are void.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_devices WHERE user_name = ?`, name); err != nil {
			return 0, hub.Unavailable("drop devices", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, hub.Unavailable(what, err)
	}
	return int(ended), nil
}

// RemoveUser implements hub.Regional.
func (d *DB) RemoveUser(ctx context.Context, name string) (int, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op
	res, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = ?`, name)
	if err != nil {
		return 0, hub.Unavailable("end sessions", err)
	}
	ended, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM web_devices WHERE user_name = ?`, name); err != nil {
		return 0, hub.Unavailable("drop devices", err)
	}
	res, err = tx.ExecContext(ctx, `DELETE FROM web_users WHERE name = ?`, name)
	if err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	return int(ended), nil
}

// PutSession implements hub.Regional; sessions expired at the new one's
// login (the pages' clock) are swept here.
func (d *DB) PutSession(ctx context.Context, s hub.WebSession) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < ?`, ts(hub.SessionSweepTime(s))); err != nil {
		return hub.Unavailable("sweep sessions", err)
	}
	if _, err := d.db.ExecContext(ctx, `INSERT INTO web_sessions(hash, user_name, csrf, expires_at, started_at) VALUES (?,?,?,?,?)`,
		s.Hash, s.User, s.CSRF, ts(s.Expires), ts(s.Started)); err != nil {
		return hub.Unavailable("put session", err)
	}
	return nil
}

// GetSession implements hub.Regional.
func (d *DB) GetSession(ctx context.Context, hash string, now, expires, startedBy time.Time) (hub.WebSession, error) {
	s := hub.WebSession{Hash: hash}
	var exp, started string
	err := d.db.QueryRowContext(ctx, `SELECT user_name, csrf, expires_at, started_at FROM web_sessions WHERE hash = ?`, hash).Scan(&s.User, &s.CSRF, &exp, &started)
	if errors.Is(err, sql.ErrNoRows) {
		return hub.WebSession{}, fmt.Errorf("session: %w", mark.ErrNotFound)
	}
	if err == nil && now.After(parseTS(exp)) {
		return hub.WebSession{}, fmt.Errorf("session of %q: %w", s.User, hub.ErrSessionIdle)
	}
	if err != nil {
		return hub.WebSession{}, hub.Unavailable("read session", err)
	}
	if s.Started = parseTS(started); !s.Started.After(startedBy) {
		return hub.WebSession{}, fmt.Errorf("session of %q started %s: %w", s.User, started, hub.ErrSessionLifetime)
	}
	if _, err := d.db.ExecContext(ctx, `UPDATE web_sessions SET expires_at = ? WHERE hash = ?`, ts(expires), hash); err != nil {
		return hub.WebSession{}, hub.Unavailable("extend session", err)
	}
	s.Expires = expires
	return s, nil
}

// DropSession implements hub.Regional.
func (d *DB) DropSession(ctx context.Context, hash string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE hash = ?`, hash); err != nil {
		return hub.Unavailable("drop session", err)
	}
	return nil
}

// DropBefore implements hub.Retainer: it deletes the records scanned
// before cutoff (and returns how many); serial uses and alerts stay.
func (d *DB) DropBefore(ctx context.Context, cutoff time.Time) (int, error) {
	// Without the zone letter, every instant of cutoff's second sorts after it.
	res, err := d.db.ExecContext(ctx, `DELETE FROM records WHERE at < ?`, cutoff.UTC().Format("2006-01-02T15:04:05"))
	if err != nil {
		return 0, hub.Unavailable("retention", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
