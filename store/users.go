package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"markd/mark"
)

// Role is what an account may do on the web pages.
type Role string

const (
	RoleOperator   Role = "operator"   // the operator screen only
	RoleSupervisor Role = "supervisor" // the operator screen and the review pages
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleOperator, RoleSupervisor:
		return Role(s), nil
	}
	return "", fmt.Errorf("role %q: must be operator or supervisor: %w", s, mark.ErrInvalid)
}

// User is one account of the web pages.
type User struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Disabled  bool      `json:"disabled,omitempty"`
	// Epoch changes whenever the account's sessions must end: a new
	// password, disable, remove and add again under the same name. A
	// session remembers the epoch of its login and ends when it differs.
	Epoch string `json:"-"`
}

// PasswordCost is the bcrypt cost of new password hashes of a store opened
// without Options.PasswordCost. Tests of packages that open the store
// with options set the option (bcrypt.MinCost, so they stay fast); the
// command-line tests, which open it through markd's own commands, lower
// this default.
var PasswordCost = bcrypt.DefaultCost

// Password length bounds: bcrypt reads at most 72 bytes, and a longer
// password would silently be cut, so it is refused instead.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// dummyHash is compared against when the user does not exist, so a wrong
// name takes as long as a wrong password and names cannot be probed.
// It is made on first use so programs that never log anyone in do not pay.
// One per cost, so it takes as long as the store's real hashes.
var dummyHashes sync.Map // cost → []byte

func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("markd-dummy-password"), cost)
	dummyHashes.Store(cost, h)
	return h
}

// ValidUserName checks an account name: 1–64 letters, digits, '.', '_' or '-'.
func ValidUserName(name string) error { return validName("user name", name) }

// ValidTokenName checks the name of the program an API token is for: the
// rule of account names.
func ValidTokenName(name string) error { return validName("token name", name) }

// validName checks a name of kind ("user name", "token name").
func validName(kind, name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return fmt.Errorf("%s %q: must be 1 to 64 characters: %w", kind, name, mark.ErrInvalid)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-", r) {
			return fmt.Errorf("%s %q: only letters, digits, '.', '_' and '-' are allowed: %w", kind, name, mark.ErrInvalid)
		}
	}
	return nil
}

func validPassword(pw string) error {
	// Characters, as the message says: a Russian letter is two bytes.
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("password: at least %d characters: %w", MinPasswordLen, mark.ErrInvalid)
	}
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("password: at most %d bytes: %w", MaxPasswordLen, mark.ErrInvalid)
	}
	return nil
}

// AddUser creates an account. An existing name is mark.ErrConflict.
func (d *DB) AddUser(ctx context.Context, name string, role Role, password string) error {
	if err := ValidUserName(name); err != nil {
		return err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if err := validPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), d.passwordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	now := d.Now().UTC().Format(time.RFC3339Nano)
	return d.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ?`, name).Scan(&n); err != nil {
			return storeErr("read users", err)
		}
		if n > 0 {
			return fmt.Errorf("user %q already exists: %w", name, mark.ErrConflict)
		}
		// The generation starts past every generation this name had before
		// (each bump appends an audit row in its transaction, so no
		// generation exceeds the audit's last id): a session of a removed
		// account never matches the new one, even at the same created_at.
		if _, err := tx.ExecContext(ctx, `INSERT INTO users(name, role, pass_hash, created_at, updated_at, session_gen)
			VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(id), 0) + 1 FROM audit))`,
			name, string(role), string(hash), now, now); err != nil {
			return storeErr("insert user", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: "cli", Action: ActionUserAdd, Detail: name + " as " + string(role)})
	})
}

// SetPassword replaces the password of an account and ends its sessions.
func (d *DB) SetPassword(ctx context.Context, name, password string) error {
	if err := validPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), d.passwordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return d.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET pass_hash = ?, updated_at = ?, session_gen = session_gen + 1 WHERE name = ?`,
			string(hash), d.Now().UTC().Format(time.RFC3339Nano), name)
		if err != nil {
			return storeErr("update user", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoAccount(name)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: "cli", Action: ActionUserPasswd, Detail: name})
	})
}

// Authenticate checks a name and password. Any mismatch, also an unknown
// name, is mark.ErrUnauthorized and costs one bcrypt comparison.
func (d *DB) Authenticate(ctx context.Context, name, password string) (User, error) {
	var (
		u              User
		role, hash     string
		created, saved string
		gen            int64
		disabled       sql.NullString
	)
	err := d.db.QueryRowContext(ctx, `SELECT name, role, pass_hash, created_at, updated_at, session_gen, disabled_at FROM users WHERE name = ?`, name).
		Scan(&u.Name, &role, &hash, &created, &saved, &gen, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_ = bcrypt.CompareHashAndPassword(dummyHash(d.passwordCost), []byte(password))
		return User{}, fmt.Errorf("login %q: wrong name or password: %w", name, mark.ErrUnauthorized)
	case err != nil:
		return User{}, storeErr("read user", err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		return User{}, fmt.Errorf("login %q: wrong name or password: %w", name, mark.ErrUnauthorized)
	}
	if disabled.Valid {
		// Said only after the right password, so it does not tell a prober
		// which names exist.
		return User{}, mark.WithHint(fmt.Errorf("login %q: %w: %w", name, ErrUserDisabled, mark.ErrUnauthorized),
			"ask the engineer to run: markd user enable "+name)
	}
	u.Role = Role(role)
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	u.UpdatedAt, _ = time.Parse(time.RFC3339Nano, saved)
	u.Epoch = epoch(created, gen)
	return u, nil
}

// GetUser returns one account, or mark.ErrNotFound.
func (d *DB) GetUser(ctx context.Context, name string) (User, error) {
	users, err := d.listUsers(ctx, `WHERE name = ?`, name)
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, errNoAccount(name)
	}
	return users[0], nil
}

// ListUsers returns every account by name.
func (d *DB) ListUsers(ctx context.Context) ([]User, error) { return d.listUsers(ctx, "") }

func (d *DB) listUsers(ctx context.Context, where string, args ...any) ([]User, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, role, created_at, updated_at, session_gen, disabled_at FROM users `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, storeErr("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var role, created, saved string
		var gen int64
		var disabled sql.NullString
		if err := rows.Scan(&u.Name, &role, &created, &saved, &gen, &disabled); err != nil {
			return nil, storeErr("list users", err)
		}
		u.Role = Role(role)
		u.Disabled = disabled.Valid
		u.Epoch = epoch(created, gen)
		u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		u.UpdatedAt, _ = time.Parse(time.RFC3339Nano, saved)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list users", err)
	}
	return out, nil
}
