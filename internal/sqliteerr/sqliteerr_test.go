//go:build cgo

package sqliteerr

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

func TestOf(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t(k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	_, dup := db.Exec(`INSERT INTO t VALUES (1)`)
	_, syntax := db.Exec(`INSERT INTO`)
	for _, tc := range []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, Other},
		{"plain", errors.New("x"), Other},
		{"unique", dup, Constraint},
		{"wrapped unique", fmt.Errorf("save: %w", dup), Constraint},
		{"syntax", syntax, Other},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestInTransaction(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(want bool) {
		t.Helper()
		if err := conn.Raw(func(dc any) error {
			got, ok := InTransaction(dc)
			if !ok || got != want {
				return fmt.Errorf("InTransaction = %v, %v; want %v, true", got, ok, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	check(false)
	if _, err := conn.ExecContext(t.Context(), `BEGIN`); err != nil {
		t.Fatal(err)
	}
	check(true)
	if _, ok := InTransaction(struct{}{}); ok {
		t.Fatal("InTransaction of another driver's connection: ok")
	}
}
