package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"markd/internal/sqliteerr"
	"markd/mark"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	if err := db.AddUser(ctx, "sveta", RoleSupervisor, "correct horse"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr error
	}{
		{"duplicate name", func() error { return db.AddUser(ctx, "sveta", RoleOperator, "another one") }, mark.ErrConflict},
		{"bad role", func() error { return db.AddUser(ctx, "ivan", Role("admin"), "password1") }, mark.ErrInvalid},
		{"short password", func() error { return db.AddUser(ctx, "ivan", RoleOperator, "short") }, mark.ErrInvalid},
		{"short cyrillic password", func() error { return db.AddUser(ctx, "petr", RoleOperator, "пароль") }, mark.ErrInvalid},
		{"cyrillic password of 8 letters", func() error { return db.AddUser(ctx, "olga", RoleOperator, "секретик") }, nil},
		{"long password", func() error { return db.AddUser(ctx, "ivan", RoleOperator, strings.Repeat("x", 73)) }, mark.ErrInvalid},
		{"bad name", func() error { return db.AddUser(ctx, "a b", RoleOperator, "password1") }, mark.ErrInvalid},
		{"cyrillic name", func() error { return db.AddUser(ctx, "Иван", RoleOperator, "password1") }, nil},
		{"right password", func() error { _, err := db.Authenticate(ctx, "sveta", "correct horse"); return err }, nil},
		{"wrong password", func() error { _, err := db.Authenticate(ctx, "sveta", "wrong horse"); return err }, mark.ErrUnauthorized},
		{"unknown user", func() error { _, err := db.Authenticate(ctx, "nobody", "correct horse"); return err }, mark.ErrUnauthorized},
		{"passwd unknown", func() error { return db.SetPassword(ctx, "nobody", "password1") }, mark.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if err := db.SetPassword(ctx, "sveta", "new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "sveta", "correct horse"); !errors.Is(err, mark.ErrUnauthorized) {
		t.Fatalf("old password still works: %v", err)
	}
	u, err := db.Authenticate(ctx, "sveta", "new password")
	if err != nil || u.Role != RoleSupervisor {
		t.Fatalf("new password: %+v %v", u, err)
	}
	var hash string
	if err := db.SQL().QueryRow(`SELECT pass_hash FROM users WHERE name='sveta'`).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("stored hash %q is not bcrypt (%v)", hash, err)
	}
	users, err := db.ListUsers(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("list: %v %v", users, err)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	if err := db.Audit(ctx, AuditEntry{Actor: "sveta", Action: ActionLogin}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE audit SET note = 'changed'`,
		`UPDATE audit SET actor = 'someone else' WHERE id = 1`,
		`DELETE FROM audit`,
		`DELETE FROM audit WHERE id = 1`,
	} {
		t.Run(stmt, func(t *testing.T) {
			_, err := db.SQL().Exec(stmt)
			if sqliteerr.Of(err) != sqliteerr.Constraint {
				t.Fatalf("%s: err = %v, want the trigger's constraint abort", stmt, err)
			}
		})
	}
	got, err := db.RecentAudit(ctx, 10)
	if err != nil || len(got) != 1 || got[0].Actor != "sveta" || got[0].Note != "" {
		t.Fatalf("audit after attempts: %+v %v", got, err)
	}
}
