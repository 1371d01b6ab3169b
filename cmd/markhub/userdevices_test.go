package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
)

// TestUserDeviceCommands: markhub user devices NAME lists the recorded
// browsers of a regional account (ids, first and last login in UTC, the
// browser), and markhub user revoke-device NAME ID revokes one; another
// account's id, an unknown account or a wrong argument is refused saying
// what.
func TestUserDeviceCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 7, 30, 0, 0, time.UTC)
	h, _ := hubweb.HashPassword("old-password-1", bcrypt.MinCost)
	for _, u := range []string{"sup", "other"} {
		if err := s.AddUser(ctx, u, h, at); err != nil {
			t.Fatal(err)
		}
	}
	laptop, err := s.RecordDevice(ctx, "sup", "h-laptop", "Firefox 128 on Windows", 0, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDevice(ctx, "sup", "h-desk", "", 0, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	others, err := s.RecordDevice(ctx, "other", "h-other", "Chrome 131 on Linux", 0, at)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	lap, oth := strconv.FormatInt(laptop.ID, 10), strconv.FormatInt(others.ID, 10)
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"list", []string{"user", "devices", "sup"}, 0, lap + "   2026-03-01T07:30:00Z  2026-03-01T07:30:00Z  Firefox 128 on Windows", ""},
		{"list unnamed browser", []string{"user", "devices", "sup"}, 0, "2026-03-01T08:30:00Z  -", ""},
		{"list unknown", []string{"user", "devices", "nobody"}, 1, "", `user "nobody"`},
		{"list without name", []string{"user", "devices"}, 2, "", "markhub user devices: accepts 1 arg(s), received 0; usage: markhub user devices NAME"},
		{"revoke another's", []string{"user", "revoke-device", "sup", oth}, 1, "", "device " + oth + ` of "sup": no such device`},
		{"revoke not a number", []string{"user", "revoke-device", "sup", "x1"}, 2, "", `device id "x1": must be a number from markhub user devices sup`},
		{"revoke without id", []string{"user", "revoke-device", "sup"}, 2, "", "needs an account name and a device id"},
		{"revoke unknown", []string{"user", "revoke-device", "nobody", lap}, 1, "", `user "nobody"`},
		{"revoke", []string{"user", "revoke-device", "sup", lap}, 0, "device " + lap + " of sup (Firefox 128 on Windows) revoked", ""},
		{"revoke again", []string{"user", "revoke-device", "sup", lap}, 1, "", "no such device"},
	} {
		code, out, errOut := runCmd(t, append(tc.args, "--db", db)...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
			t.Errorf("%s: exit %d (want %d), stdout %q (want %q), stderr %q (want %q)", tc.name, code, tc.code, out, tc.out, errOut, tc.err)
		}
	}
	s, err = sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, _ := s.Devices(ctx, "sup"); len(l) != 1 || l[0].ID == laptop.ID {
		t.Errorf("after the revoke sup has %+v", l)
	}
	if l, _ := s.Devices(ctx, "other"); len(l) != 1 {
		t.Errorf("other has %+v, want its device kept", l)
	}
}
