package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"markd/hub"
	"markd/hub/internal/sqlrow"
	"markd/mark"
)

// AddTerminal implements hub.Store.
func (d *DB) AddTerminal(ctx context.Context, t hub.Terminal) error {
	var hash *string
	if t.TokenHash != "" {
		hash = &t.TokenHash
	}
	var office *int64
	if t.Office != 0 {
		o := int64(t.Office)
		office = &o
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO terminals(name, office, token_hash, created_at) VALUES ($1, $2, $3, $4)`,
		t.Name, office, hash, t.Created)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("terminal %q already exists: %w", t.Name, mark.ErrConflict)
	}
	if err != nil {
		return hub.Unavailable("add terminal", err)
	}
	return nil
}

// Terminal implements hub.Store.
func (d *DB) Terminal(ctx context.Context, name string) (hub.Terminal, error) {
	return d.terminal(ctx, `name = $1`, name)
}

// TerminalByTokenHash implements hub.Store.
func (d *DB) TerminalByTokenHash(ctx context.Context, hash string) (hub.Terminal, error) {
	return d.terminal(ctx, `token_hash = $1`, hash)
}

func (d *DB) terminal(ctx context.Context, where, arg string) (hub.Terminal, error) {
	t, err := sqlrow.Revoked(d.pool.QueryRow(ctx, `SELECT `+sqlrow.RevokedColumns+` FROM terminals WHERE `+where, arg))
	if err != nil {
		return hub.Terminal{}, sqlrow.One(err, "read terminal", fmt.Errorf("terminal: %w", mark.ErrNotFound))
	}
	return t, nil
}

// NoteZone implements hub.Store.
func (d *DB) NoteZone(ctx context.Context, terminal string, n hub.ZoneNote) error {
	if _, err := d.pool.Exec(ctx, `UPDATE terminals SET zone_check = $1, zone_note = $2 WHERE name = $3`,
		n.Check.String(), hub.ZoneNoteColumn(n), terminal); err != nil {
		return hub.Unavailable("note zone", err)
	}
	return nil
}

// NoteClock implements hub.Store.
func (d *DB) NoteClock(ctx context.Context, terminal string, skew time.Duration, at time.Time) error {
	if _, err := d.pool.Exec(ctx, `UPDATE terminals SET clock_skew_ms = $1, seen_at = $2 WHERE name = $3`,
		skew.Milliseconds(), at, terminal); err != nil {
		return hub.Unavailable("note clock", err)
	}
	return nil
}

// SetToken implements hub.Store.
func (d *DB) SetToken(ctx context.Context, name, tokenHash string) error {
	tag, err := d.pool.Exec(ctx, `UPDATE terminals SET token_hash = $1, revoked_at = NULL WHERE name = $2`, tokenHash, name)
	if err != nil {
		return hub.Unavailable("set token", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// ReadmitCert implements hub.Store.
func (d *DB) ReadmitCert(ctx context.Context, name, certSHA256 string) error {
	tag, err := d.pool.Exec(ctx, `UPDATE terminals SET cert_sha256 = $1, revoked_at = NULL WHERE name = $2`, certSHA256, name)
	if err != nil {
		return hub.Unavailable("readmit terminal", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Revoke implements hub.Store.
func (d *DB) Revoke(ctx context.Context, name string, at time.Time) error {
	tag, err := d.pool.Exec(ctx, `UPDATE terminals SET revoked_at = $1 WHERE name = $2`, at, name)
	if err != nil {
		return hub.Unavailable("revoke terminal", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// SetOffice implements hub.Store.
func (d *DB) SetOffice(ctx context.Context, name string, office uint32) error {
	tag, err := d.pool.Exec(ctx, `UPDATE terminals SET office = $1 WHERE name = $2`, int64(office), name)
	if err != nil {
		return hub.Unavailable("set office", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("terminal %q: %w", name, mark.ErrNotFound)
	}
	return nil
}

// Terminals implements hub.Store.
func (d *DB) Terminals(ctx context.Context) ([]hub.Terminal, error) {
	rows, err := d.pool.Query(ctx, `SELECT `+sqlrow.RevokedColumns+` FROM terminals ORDER BY name`)
	return sqlrow.Read(rows, err, "list terminals", sqlrow.Revoked)
}
