package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/store"
)

// TestUserDeviceCommands: markd user devices NAME lists the recorded
// browsers of an account (ids, first and last login in the office's
// zone, the browser), and markd user revoke-device NAME ID revokes one,
// audited as the cli; a wrong id, another account's, or a missing
// argument is refused saying what and where.
func TestUserDeviceCommands(t *testing.T) {
	store.PasswordCost = bcrypt.MinCost
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	for _, n := range []string{"sveta", "ivan"} {
		if code := run(ctx, []string{"user", "add", n, "--role", "supervisor", "--db", db}, strings.NewReader("s3cret-pass\n"), &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
			t.Fatalf("user add %s: exit %d", n, code)
		}
	}
	s, err := store.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 7, 30, 0, 0, time.UTC)
	laptop, err := s.RecordDevice(ctx, "sveta", "h-laptop", "Firefox 128 on Windows", 0, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDevice(ctx, "sveta", "h-desk", "odd\x1b[2Jagent", 0, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ivans, err := s.RecordDevice(ctx, "ivan", "h-ivan", "", 0, at)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	lap, other := strconv.FormatInt(laptop.ID, 10), strconv.FormatInt(ivans.ID, 10)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"list", []string{"user", "devices", "sveta"}, 0, "odd?[2Jagent", ""},
		{"list in order", []string{"user", "devices", "sveta"}, 0, lap + "   2026-03-01 10:30  2026-03-01 10:30  Firefox 128 on Windows", ""},
		{"list unknown", []string{"user", "devices", "nobody"}, 1, "", errUnknown},
		{"list without name", []string{"user", "devices"}, 2, "", "needs one account name"},
		{"revoke another's", []string{"user", "revoke-device", "sveta", other}, 1, "", "no such device: not found (hint: markd user devices sveta lists its devices)"},
		{"revoke not a number", []string{"user", "revoke-device", "sveta", "x1"}, 2, "", `device id "x1": must be a number from markd user devices sveta`},
		{"revoke without id", []string{"user", "revoke-device", "sveta"}, 2, "", "needs an account name and a device id"},
		{"revoke unknown", []string{"user", "revoke-device", "nobody", lap}, 1, "", errUnknown},
		{"revoke", []string{"user", "revoke-device", "sveta", lap}, 0, "device " + lap + " of sveta revoked", ""},
		{"revoke again", []string{"user", "revoke-device", "sveta", lap}, 1, "", "no such device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			// Times in the office zone: tz defaults to Europe/Moscow (UTC+3).
			args := append(tc.args, "--db", db)
			code := run(ctx, args, strings.NewReader(""), &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
				t.Fatalf("exit %d (want %d), stdout %q (want %q), stderr %q (want %q)", code, tc.code, out.String(), tc.out, errOut.String(), tc.err)
			}
		})
	}
	s, err = store.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, _ := s.Devices(ctx, "sveta"); len(l) != 1 || l[0].ID == laptop.ID {
		t.Errorf("after the revoke sveta has %+v", l)
	}
	a, _ := s.RecentAudit(ctx, 1)
	if len(a) != 1 || a[0].Action != store.ActionDeviceRevoke || a[0].Actor != "cli" || a[0].Detail != "sveta device "+lap+" (Firefox 128 on Windows)" {
		t.Errorf("audit %+v", a)
	}
}
