package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"markd/hub"
	"markd/hub/internal/sqlrow"
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
	t, err := sqlrow.Revoked(d.db.QueryRowContext(ctx, `SELECT `+sqlrow.RevokedColumns+` FROM terminals WHERE `+where, arg))
	if err != nil {
		return hub.Terminal{}, sqlrow.One(err, "read terminal", fmt.Errorf("terminal: %w", mark.ErrNotFound))
	}
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
	rows, err := d.db.QueryContext(ctx, `SELECT `+sqlrow.RevokedColumns+` FROM terminals ORDER BY name`)
	return sqlrow.Read(rows, err, "list terminals", sqlrow.Revoked)
}
