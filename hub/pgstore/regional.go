package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

var _ hub.Regional = (*DB)(nil)

// Fleet implements hub.Regional: the newest record of each terminal comes
// from the (terminal, at) index, one probe per terminal.
func (d *DB) Fleet(ctx context.Context) ([]hub.FleetRow, error) {
	rows, err := d.pool.Query(ctx, `SELECT t.name, t.office, t.token_hash, t.created_at, t.clock_skew_ms, t.seen_at, t.waiting_records, t.waiting_at, t.zone_note,
		r.at, r.keyring_version, r.tariffs_version, r.revocations_version
		FROM terminals t LEFT JOIN LATERAL (SELECT at, keyring_version, tariffs_version, revocations_version
			FROM records WHERE terminal = t.name ORDER BY at DESC LIMIT 1) r ON true
		ORDER BY t.office, t.name`)
	return sqlrow.Read(rows, err, "fleet", sqlrow.FleetRow)
}

// ReuseAlerts implements hub.Regional.
func (d *DB) ReuseAlerts(ctx context.Context, open bool, limit int) ([]hub.RegionalAlert, error) {
	rows, err := d.pool.Query(ctx, `SELECT a.id, a.serial, a.terminal, a.record_id, coalesce(t.office, 0),
		b.other_at, a.other_terminal, a.other_record_id, a.other_office, a.other_at, a.detected_at,
		a.state, a.note, a.state_by
		FROM alerts a LEFT JOIN terminals t ON t.name = a.terminal
		LEFT JOIN alerts b ON b.terminal = a.other_terminal AND b.record_id = a.other_record_id
			AND b.other_terminal = a.terminal AND b.other_record_id = a.record_id
		WHERE (a.terminal < a.other_terminal OR (a.terminal = a.other_terminal AND a.record_id < a.other_record_id))
			AND (NOT $1 OR a.state <> 'resolved')
		ORDER BY a.id DESC LIMIT $2`, open, limit)
	return sqlrow.Read(rows, err, "reuse alerts", sqlrow.RegionalAlert)
}

// SetAlertState implements hub.Regional.
func (d *DB) SetAlertState(ctx context.Context, id int64, state hub.AlertState, actor, note string, at time.Time) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var term, rec, oterm, orec string
	err = tx.QueryRow(ctx, `SELECT terminal, record_id, other_terminal, other_record_id FROM alerts WHERE id = $1`, id).
		Scan(&term, &rec, &oterm, &orec)
	if err != nil {
		return sqlrow.One(err, "read alert", fmt.Errorf("alert %d: %w", id, mark.ErrNotFound))
	}
	if _, err := tx.Exec(ctx, `UPDATE alerts SET state = $1, note = $2, state_by = $3
		WHERE (terminal = $4 AND record_id = $5 AND other_terminal = $6 AND other_record_id = $7)
		   OR (terminal = $6 AND record_id = $7 AND other_terminal = $4 AND other_record_id = $5)`,
		string(state), note, actor, term, rec, oterm, orec); err != nil {
		return hub.Unavailable("update alert", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO alert_audit(alert_id, actor, state, note, at) VALUES ($1,$2,$3,$4,$5)`,
		id, actor, string(state), note, at); err != nil {
		return hub.Unavailable("audit alert", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// AlertAudit implements hub.Regional.
func (d *DB) AlertAudit(ctx context.Context, id int64) ([]hub.AlertChange, error) {
	rows, err := d.pool.Query(ctx, `SELECT actor, state, note, at FROM alert_audit WHERE alert_id = $1 ORDER BY id`, id)
	return sqlrow.Read(rows, err, "alert audit", sqlrow.AlertChange)
}

// Lookup implements hub.Regional.
func (d *DB) Lookup(ctx context.Context, kind hub.LookupKind, value string, limit int) ([]hub.StoredRecord, error) {
	n, err := hub.LookupValue(kind, value)
	if err != nil {
		return nil, err
	}
	where := `serial = $1`
	switch kind {
	case hub.ByTracking:
		where = `tracking = $1`
	case hub.ByContract:
		where = `contract = $1`
	}
	return d.listRecords(ctx, where+` ORDER BY at, terminal, id LIMIT $2`, n, limit)
}

// Unverified implements hub.Regional.
func (d *DB) Unverified(ctx context.Context, limit int) ([]hub.StoredRecord, error) {
	return d.listRecords(ctx, `verification = 'unverified' ORDER BY at DESC, terminal, id LIMIT $1`, limit)
}

// Disputed implements hub.Regional.
func (d *DB) Disputed(ctx context.Context, state hub.DisputeState, limit int) ([]hub.StoredRecord, error) {
	switch state {
	case hub.DisputeOpen:
		return d.listRecords(ctx, `disputed IS NOT NULL AND dispute_reviewed_at IS NULL ORDER BY at DESC, terminal, id LIMIT $1`, limit)
	case hub.DisputeReviewed:
		return d.listRecords(ctx, `dispute_reviewed_at IS NOT NULL AND disputed IS NOT NULL
			ORDER BY dispute_reviewed_at DESC, terminal, id LIMIT $1`, limit)
	}
	return d.listRecords(ctx, `disputed IS NOT NULL ORDER BY at DESC, terminal, id LIMIT $1`, limit)
}

// SetDisputeState implements hub.Regional; the record's row is locked
// first, so two supervisors' changes at once are audited in the order
// they are applied.
func (d *DB) SetDisputeState(ctx context.Context, terminal, id string, state hub.DisputeState, actor, note string, at time.Time) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return hub.Unavailable("begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	// Disputed or questioned: reviewed alike.
	var disputed *string
	var questioned bool
	err = tx.QueryRow(ctx, `SELECT coalesce(disputed, questioned), questioned IS NOT NULL FROM records WHERE terminal = $1 AND id = $2 FOR UPDATE`,
		terminal, id).Scan(&disputed, &questioned)
	if err != nil {
		return sqlrow.One(err, "read record", fmt.Errorf("record %q of terminal %q: %w", id, terminal, mark.ErrNotFound))
	}
	if disputed == nil {
		return fmt.Errorf("record %q of terminal %q: %w", id, terminal, hub.ErrNotDisputed)
	}
	var reviewed *time.Time // nil: open
	if state == hub.DisputeReviewed {
		reviewed = &at
	}
	if _, err := tx.Exec(ctx, `UPDATE records SET dispute_reviewed_at = $1, dispute_by = $2, dispute_note = $3
		WHERE terminal = $4 AND id = $5`, reviewed, actor, note, terminal, id); err != nil {
		return hub.Unavailable("review dispute", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO dispute_audit(terminal, record_id, actor, state, note, at) VALUES ($1,$2,$3,$4,$5,$6)`,
		terminal, id, actor, string(state), note, at); err != nil {
		return hub.Unavailable("audit dispute", err)
	}
	if questioned { // its counter learns of the change at its next pull
		if err := noteQuestioned(ctx, tx, terminal, []string{id}); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return hub.Unavailable("commit", err)
	}
	return nil
}

// DisputeAudit implements hub.Regional.
func (d *DB) DisputeAudit(ctx context.Context, terminal, id string) ([]hub.DisputeChange, error) {
	rows, err := d.pool.Query(ctx, `SELECT actor, state, note, at FROM dispute_audit WHERE terminal = $1 AND record_id = $2 ORDER BY id`,
		terminal, id)
	return sqlrow.Read(rows, err, "dispute audit", sqlrow.DisputeChange)
}

func (d *DB) listRecords(ctx context.Context, where string, args ...any) ([]hub.StoredRecord, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+sqlrow.ListedColumns+` FROM records WHERE `+where, args...)
	return sqlrow.Read(rows, err, "lookup", sqlrow.Listed)
}

// AddUser implements hub.Regional.
func (d *DB) AddUser(ctx context.Context, name, hash string, created time.Time) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO web_users(name, password_hash, created_at) VALUES ($1,$2,$3)`, name, hash, created)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("user %q already exists: %w", name, mark.ErrConflict)
	}
	if err != nil {
		return hub.Unavailable("add user", err)
	}
	return nil
}

// SetPassword implements hub.Regional.
func (d *DB) SetPassword(ctx context.Context, name, hash string) (int, error) {
	return d.changeUser(ctx, "set password", name, true, `UPDATE web_users SET password_hash = $2, epoch = epoch + 1 WHERE name = $1`, name, hash)
}

// SetDisabled implements hub.Regional.
func (d *DB) SetDisabled(ctx context.Context, name string, disabled bool) (int, error) {
	if disabled {
		return d.changeUser(ctx, "disable user", name, true, `UPDATE web_users SET disabled = true, epoch = epoch + 1 WHERE name = $1`, name)
	}
	return d.changeUser(ctx, "enable user", name, false, `UPDATE web_users SET disabled = false WHERE name = $1`, name)
}

// DeviceSecret implements hub.Regional.
func (d *DB) DeviceSecret(ctx context.Context, name string) (string, int64, error) {
	h, epoch, err := sqlrow.Account(d.pool.QueryRow(ctx, `SELECT password_hash, epoch, disabled FROM web_users WHERE name = $1`, name), name)
	if err != nil {
		return "", 0, err
	}
	return h, epoch, nil
}

// changeUser runs update (of the account name, args) and, when end, ends
// every session of the account in the same transaction; it returns how
// many ended. What names the change in errors.
func (d *DB) changeUser(ctx context.Context, what, name string, end bool, update string, args ...any) (int, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return 0, hub.Unavailable(what, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit a no-op
	tag, err := tx.Exec(ctx, update, args...)
	if err != nil {
		return 0, hub.Unavailable(what, err)
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound)
	}
	var ended int64
	if end {
		tag, err = tx.Exec(ctx, `DELETE FROM web_sessions WHERE user_name = $1`, name)
		if err != nil {
			return 0, hub.Unavailable("end sessions", err)
		}
		ended = tag.RowsAffected()
		// The epoch moved on: the account's device cookies are void.
		if _, err := tx.Exec(ctx, `DELETE FROM web_devices WHERE user_name = $1`, name); err != nil {
			return 0, hub.Unavailable("drop devices", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, hub.Unavailable(what, err)
	}
	return int(ended), nil
}

// RemoveUser implements hub.Regional.
func (d *DB) RemoveUser(ctx context.Context, name string) (int, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit a no-op
	tag, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE user_name = $1`, name)
	if err != nil {
		return 0, hub.Unavailable("end sessions", err)
	}
	ended := tag.RowsAffected()
	if _, err := tx.Exec(ctx, `DELETE FROM web_devices WHERE user_name = $1`, name); err != nil {
		return 0, hub.Unavailable("drop devices", err)
	}
	tag, err = tx.Exec(ctx, `DELETE FROM web_users WHERE name = $1`, name)
	if err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("user %q: no such account: %w", name, mark.ErrNotFound)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, hub.Unavailable("remove user", err)
	}
	return int(ended), nil
}

// PasswordHash implements hub.Regional.
func (d *DB) PasswordHash(ctx context.Context, name string) (string, error) {
	h, _, err := sqlrow.Account(d.pool.QueryRow(ctx, `SELECT password_hash, epoch, disabled FROM web_users WHERE name = $1`, name), name)
	return h, err
}

// PutSession implements hub.Regional; sessions expired at the new one's
// login (the pages' clock) are swept here.
func (d *DB) PutSession(ctx context.Context, s hub.WebSession) error {
	if _, err := d.pool.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at < $1`, hub.SessionSweepTime(s)); err != nil {
		return hub.Unavailable("sweep sessions", err)
	}
	if _, err := d.pool.Exec(ctx, `INSERT INTO web_sessions(hash, user_name, csrf, expires_at, started_at) VALUES ($1,$2,$3,$4,$5)`,
		s.Hash, s.User, s.CSRF, s.Expires, s.Started); err != nil {
		return hub.Unavailable("put session", err)
	}
	return nil
}

// GetSession implements hub.Regional.
func (d *DB) GetSession(ctx context.Context, hash string, now, expires, startedBy time.Time) (hub.WebSession, error) {
	s := hub.WebSession{Hash: hash}
	var exp time.Time
	// One statement: a session past its lifetime is not extended, and
	// its row says so (started_at) rather than vanish.
	err := d.pool.QueryRow(ctx, `UPDATE web_sessions SET expires_at = CASE WHEN started_at > $4 THEN greatest(expires_at, $3) ELSE expires_at END
		WHERE hash = $1 AND expires_at >= $2 RETURNING user_name, csrf, expires_at, started_at`, hash, now, expires, startedBy).Scan(&s.User, &s.CSRF, &exp, &s.Started)
	if errors.Is(err, pgx.ErrNoRows) {
		// unknown, or kept but unused past its expiry (not swept yet)
		var user string
		switch err := d.pool.QueryRow(ctx, `SELECT user_name FROM web_sessions WHERE hash = $1`, hash).Scan(&user); {
		case err == nil:
			return hub.WebSession{}, fmt.Errorf("session of %q: %w", user, hub.ErrSessionIdle)
		case !errors.Is(err, pgx.ErrNoRows):
			return hub.WebSession{}, hub.Unavailable("read session", err)
		}
		return hub.WebSession{}, fmt.Errorf("session: %w", mark.ErrNotFound)
	}
	if err != nil {
		return hub.WebSession{}, hub.Unavailable("read session", err)
	}
	if !s.Started.After(startedBy) {
		return hub.WebSession{}, fmt.Errorf("session of %q started %s: %w", s.User, s.Started.UTC().Format(time.RFC3339), hub.ErrSessionLifetime)
	}
	s.Expires, s.Started = exp.UTC(), s.Started.UTC()
	return s, nil
}

// DropSession implements hub.Regional.
func (d *DB) DropSession(ctx context.Context, hash string) error {
	if _, err := d.pool.Exec(ctx, `DELETE FROM web_sessions WHERE hash = $1`, hash); err != nil {
		return hub.Unavailable("drop session", err)
	}
	return nil
}
