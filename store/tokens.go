package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"markd/mark"
)

// Audit actions of API tokens.
const (
	ActionTokenAdd    = "token_add"
	ActionTokenRemove = "token_remove"
)

// TokenPrefix starts every API token, so a token pasted in the wrong
// place is recognisable.
const TokenPrefix = "markd_"

// APIToken is a named token of a local program; the token itself is shown
// once, when it is made, and only its hash is kept.
type APIToken struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created_at"`
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// AddToken makes a new API token for the program name and returns it. A
// name in use is mark.ErrConflict.
func (d *DB) AddToken(ctx context.Context, name string) (string, error) {
	if err := ValidTokenName(name); err != nil {
		return "", fmt.Errorf("token name: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	now := d.Now()
	err := d.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE name = ?`, name).Scan(&n); err != nil {
			return storeErr("read tokens", err)
		}
		if n > 0 {
			return mark.WithHint(fmt.Errorf("token %q exists: %w", name, mark.ErrConflict),
				"remove it first (markd token remove NAME) or choose another name")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens(name, hash, created_at) VALUES (?, ?, ?)`,
			name, tokenHash(token), now.UTC().Format(time.RFC3339Nano)); err != nil {
			return storeErr("add token", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: now, Actor: "markd", Action: ActionTokenAdd, Detail: name})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RemoveToken deletes the token of name; an unknown name is mark.ErrNotFound.
func (d *DB) RemoveToken(ctx context.Context, name string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = ?`, name)
		if err != nil {
			return storeErr("remove token", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %q: %w", name, mark.ErrNotFound)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: "markd", Action: ActionTokenRemove, Detail: name})
	})
}

// ListTokens returns the names of the API tokens, by name.
func (d *DB) ListTokens(ctx context.Context) ([]APIToken, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, created_at FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, storeErr("list tokens", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var at string
		if err := rows.Scan(&t.Name, &at); err != nil {
			return nil, storeErr("list tokens", err)
		}
		if t.Created, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("token %s: bad time %q: %w", t.Name, at, mark.ErrInvalid)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenName returns the name of the program a token belongs to; an
// unknown token is mark.ErrUnauthorized.
func (d *DB) TokenName(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", mark.WithHint(fmt.Errorf("no API token: %w", mark.ErrUnauthorized), "make one with: markd token add NAME")
	}
	var name string
	err := d.db.QueryRowContext(ctx, `SELECT name FROM api_tokens WHERE hash = ?`, tokenHash(token)).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", mark.WithHint(fmt.Errorf("unknown API token: %w", mark.ErrUnauthorized),
			"make one with: markd token add NAME")
	}
	if err != nil {
		return "", storeErr("check token", err)
	}
	return name, nil
}
