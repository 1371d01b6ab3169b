package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"markd/store"
)

// errUnknown is what every user command says of an account that is not
// there.
const errUnknown = `no such account: not found (hint: markd user list shows the accounts)`

func TestUserCommands(t *testing.T) {
	store.PasswordCost = bcrypt.MinCost
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"add supervisor", []string{"user", "add", "sveta", "--role", "supervisor", "--db", db}, "s3cret-pass\n", 0, "user sveta added as supervisor"},
		{"add operator without newline", []string{"user", "add", "ivan", "--role", "operator", "--db", db}, "op-pass-1", 0, "user ivan added as operator"},
		{"add twice", []string{"user", "add", "ivan", "--role", "operator", "--db", db}, "op-pass-1\n", 1, ""},
		{"bad role", []string{"user", "add", "petr", "--role", "admin", "--db", db}, "op-pass-1\n", 2, ""},
		{"missing role", []string{"user", "add", "petr", "--db", db}, "op-pass-1\n", 2, ""},
		{"short password", []string{"user", "add", "petr", "--role", "operator", "--db", db}, "short\n", 2, ""},
		{"passwd", []string{"user", "passwd", "ivan", "--db", db}, "new-pass-2\n", 0, "password of ivan changed"},
		{"passwd unknown", []string{"user", "passwd", "nobody", "--db", db}, "new-pass-2\n", 1, ""},
		{"password (markhub's spelling)", []string{"user", "password", "ivan", "--db", db}, "new-pass-3\n", 0, "password of ivan changed"},
		{"list", []string{"user", "list", "--db", db}, "", 0, "ivan   operator"},
		{"disable", []string{"user", "disable", "ivan", "--db", db}, "", 0, "user ivan disabled"},
		{"list disabled", []string{"user", "list", "--db", db}, "", 0, "disabled"},
		{"disable unknown", []string{"user", "disable", "nobody", "--db", db}, "", 1, ""},
		{"enable", []string{"user", "enable", "ivan", "--db", db}, "", 0, "user ivan enabled"},
		{"enable unknown", []string{"user", "enable", "nobody", "--db", db}, "", 1, ""},
		{"remove sveta", []string{"user", "remove", "sveta", "--db", db}, "", 0, "user sveta removed"},
		{"remove unknown", []string{"user", "remove", "sveta", "--db", db}, "", 1, ""},
		{"remove without name", []string{"user", "remove", "--db", db}, "", 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) {
				t.Fatalf("exit %d (want %d), stdout %q (want %q), stderr %q", code, tc.code, out.String(), tc.out, errOut.String())
			}
			// Every command on an account that is not there says so and
			// where to see the names.
			if strings.HasSuffix(tc.name, " unknown") && !strings.Contains(errOut.String(), errUnknown) {
				t.Errorf("stderr %q, want %q", errOut.String(), errUnknown)
			}
		})
	}
	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := s.Authenticate(context.Background(), "ivan", "new-pass-3"); err != nil || u.Role != store.RoleOperator {
		t.Fatalf("ivan after passwd, password, disable, enable: %+v %v", u, err)
	}
	if _, err := s.Authenticate(context.Background(), "sveta", "s3cret-pass"); err == nil {
		t.Fatal("a removed account logs in")
	}
}
