package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/store"
)

// TestListTimesInOfficeZone: markd user list and markd token list show
// their times in the office's zone (config key tz), as markd table, batch
// status and the pages do, not in UTC without saying so.
func TestListTimesInOfficeZone(t *testing.T) {
	store.PasswordCost = bcrypt.MinCost
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	if code, _, errs := vtRun(t, "s3cret-pass\n", "user", "add", "sveta", "--role", "supervisor", "--db", db); code != 0 {
		t.Fatalf("user add: %d %s", code, errs)
	}
	if code, _, errs := vtRun(t, "", "token", "add", "kassa", "--db", db); code != 0 {
		t.Fatalf("token add: %d %s", code, errs)
	}
	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.ListUsers(context.Background())
	if err != nil || len(users) != 1 {
		t.Fatalf("users %v %v", users, err)
	}
	toks, err := s.ListTokens(context.Background())
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens %v %v", toks, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Vladivostok") // UTC+10: never the same clock time as UTC
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKD_TZ", "Asia/Vladivostok")
	code, out, errs := vtRun(t, "", "user", "list", "--db", db)
	if want := users[0].CreatedAt.In(loc).Format("2006-01-02 15:04"); code != 0 || !strings.Contains(out, "sveta") || !strings.Contains(out, want) {
		t.Errorf("user list: exit %d\n%s%s\nwant the creation time in the office zone, %s", code, out, errs, want)
	}
	code, out, errs = vtRun(t, "", "token", "list", "--db", db)
	if want := toks[0].Created.In(loc).Format("2006-01-02 15:04"); code != 0 || !strings.Contains(out, "kassa") || !strings.Contains(out, want) {
		t.Errorf("token list: exit %d\n%s%s\nwant the creation time in the office zone, %s", code, out, errs, want)
	}
}
