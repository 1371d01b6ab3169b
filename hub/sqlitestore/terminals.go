package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"markd/hub"
	"markd/internal/sqliteerr"
	"markd/mark"
)

// AddTerminal implements hub.Store.
func (d *DB) AddTerminal(ctx context.Context, t hub.Terminal) error {
	var hash any
	if t.TokenHash != "" {
		hash = t.TokenHash
	}
	var office any
	if t.Office != 0 {
		office = t.Office
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO terminals(name, office, token_hash, created_at) VALUES (?, ?, ?, ?)`,
		t.Name, office, hash, ts(t.Created))
	if sqliteerr.Of(err) == sqliteerr.Constraint {
		return fmt.Errorf("terminal %q already exists: %w", t.Name, mark.ErrConflict)
	}
	if err != nil {
		return hub.Unavailable("add terminal", err)
	}
	return nil
}

// Terminal implements hub.Store.
func (d *DB) Terminal(ctx context.Context, name string) (hub.Terminal, error) {
	return d.terminal(ctx, `name = ?`, name)
}

// TerminalByTokenHash implements hub.Store.
func (d *DB) TerminalByTokenHash(ctx context.Context, hash string) (hub.Terminal, error) {
	return d.terminal(ctx, `token_hash = ?`, hash)
}

func (d *DB) terminal(ctx context.Context, where string, arg string) (hub.Terminal, error) {
	t, err := scanRevoked(d.db.QueryRowContext(ctx, `SELECT name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at, zone_note, revoked_at, cert_sha256 FROM terminals WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return hub.Terminal{}, fmt.Errorf("terminal: %w", mark.ErrNotFound)
	}
	if err != nil {
		return hub.Terminal{}, hub.Unavailable("read terminal", err)
	}
	return t, nil
}

// scanRevoked is scanTerminal of a row with revoked_at and cert_sha256
// after the terminal's columns.
func scanRevoked(row interface{ Scan(...any) error }) (hub.Terminal, error) {
	var revoked, cert sql.NullString
	t, err := scanTerminal(scanFunc(func(dst ...any) error { return row.Scan(append(dst, &revoked, &cert)...) }))
	if err == nil && revoked.Valid {
		t.Revoked, _ = time.Parse(time.RFC3339Nano, revoked.String)
	}
	if err == nil && cert.Valid {
		t.CertSHA256 = cert.String
	}
	return t, err
}

func scanTerminal(row interface{ Scan(...any) error }) (hub.Terminal, error) {
	var t hub.Terminal
	var hash sql.NullString
	var office sql.NullInt64
	var created string
	var skew sql.NullInt64
	var seen, waitingAt sql.NullString
	var waiting sql.NullInt64
	var zone sql.NullString
	if err := row.Scan(&t.Name, &office, &hash, &created, &skew, &seen, &waiting, &waitingAt, &zone); err != nil {
		return t, err
	}
	var err error
	if t.Zone, err = hub.DecodeZoneNote(zone.String); err != nil {
		return t, fmt.Errorf("terminal %s: %w", t.Name, err)
	}
	if waiting.Valid && waitingAt.Valid {
		t.Waiting = waiting.Int64
		t.WaitingAt, _ = time.Parse(time.RFC3339Nano, waitingAt.String)
	}
	if skew.Valid && seen.Valid {
		t.ClockSkew = time.Duration(skew.Int64) * time.Millisecond
		t.SeenAt, _ = time.Parse(time.RFC3339Nano, seen.String)
	}
	t.Office, t.TokenHash = uint32(office.Int64), hash.String
	t.Created, _ = time.Parse(time.RFC3339Nano, created)
	return t, nil
}

// NoteClock implements hub.Store.
func (d *DB) NoteClock(ctx context.Context, terminal string, skew time.Duration, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE terminals SET clock_skew_ms = ?, seen_at = ? WHERE name = ?`,
		skew.Milliseconds(), ts(at), terminal); err != nil {
		return hub.Unavailable("note clock", err)
	}
	return nil
}

// NoteZone implements hub.Store.
func (d *DB) NoteZone(ctx context.Context, terminal string, n hub.ZoneNote) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE terminals SET zone_check = ?, zone_note = ? WHERE name = ?`,
		n.Check.String(), hub.ZoneNoteColumn(n), terminal); err != nil {
		return hub.Unavailable("note zone", err)
	}
	return nil
}

// SetToken implements hub.Store.
func (d *DB) SetToken(ctx context.Context, name, tokenHash string) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET token_hash = ?, revoked_at = NULL WHERE name = ?`, tokenHash, name)
	if err != nil {
		return hub.Unavailable("set token", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// ReadmitCert implements hub.Store.
func (d *DB) ReadmitCert(ctx context.Context, name, certSHA256 string) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET cert_sha256 = ?, revoked_at = NULL WHERE name = ?`, certSHA256, name)
	if err != nil {
		return hub.Unavailable("readmit terminal", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Revoke implements hub.Store.
func (d *DB) Revoke(ctx context.Context, name string, at time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET revoked_at = ? WHERE name = ?`, ts(at), name)
	if err != nil {
		return hub.Unavailable("revoke terminal", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// SetOffice implements hub.Store.
func (d *DB) SetOffice(ctx context.Context, name string, office uint32) error {
	res, err := d.db.ExecContext(ctx, `UPDATE terminals SET office = ? WHERE name = ?`, office, name)
	if err != nil {
		return hub.Unavailable("set office", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Terminals implements hub.Store.
func (d *DB) Terminals(ctx context.Context) ([]hub.Terminal, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, office, token_hash, created_at, clock_skew_ms, seen_at, waiting_records, waiting_at, zone_note, revoked_at, cert_sha256 FROM terminals ORDER BY name`)
	if err != nil {
		return nil, hub.Unavailable("list terminals", err)
	}
	defer rows.Close()
	var out []hub.Terminal
	for rows.Next() {
		t, err := scanRevoked(rows)
		if err != nil {
			return nil, hub.Unavailable("list terminals", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, hub.Unavailable("list terminals", err)
	}
	return out, nil
}
