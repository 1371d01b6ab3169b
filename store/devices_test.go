package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"markd/internal/devicecookie"
	"markd/mark"
)

// TestDevices walks the device records of an account: recorded at a
// login, renewed by the next login with the cookie, bounded to
// MaxDevices (the one unused longest dropped), revoked one by one with
// an audit line, and gone with the account's epoch.
func TestDevices(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	for _, n := range []string{"anna", "ivan"} {
		if err := db.AddUser(ctx, n, RoleSupervisor, "supervisor-pw"); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	known := func(name, hash string) error { _, err := db.KnownDevice(ctx, name, hash); return err }

	first, err := db.RecordDevice(ctx, "anna", "h1", "Firefox 128 on Windows", 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordDevice(ctx, "nobody", "hx", "", 0, t0); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("device of an unknown account: err = %v, want mark.ErrNotFound", err)
	}
	for _, c := range []struct {
		name, hash string
		want       error
	}{{"anna", "h1", nil}, {"ivan", "h1", ErrNoDevice}, {"anna", "h2", ErrNoDevice}} {
		if err := known(c.name, c.hash); !errors.Is(err, c.want) && (c.want != nil || err != nil) {
			t.Errorf("KnownDevice(%s, %s) = %v, want %v", c.name, c.hash, err, c.want)
		}
	}
	// The next login with it: the same row, the new cookie, the old one void.
	again, err := db.RecordDevice(ctx, "anna", "h1b", "Firefox 129 on Windows", first.ID, t0.Add(time.Hour))
	if err != nil || again.ID != first.ID {
		t.Fatalf("renew: %+v, %v; want id %d", again, err, first.ID)
	}
	if known("anna", "h1") == nil || known("anna", "h1b") != nil {
		t.Error("after a renewal the old cookie still counts or the new one does not")
	}
	list, err := db.Devices(ctx, "anna")
	if err != nil || len(list) != 1 || !list[0].Issued.Equal(t0) || !list[0].LastUsed.Equal(t0.Add(time.Hour)) || list[0].Agent != "Firefox 129 on Windows" {
		t.Fatalf("Devices = %+v, %v", list, err)
	}
	// A renewal of another account's id adds a row instead.
	if d, err := db.RecordDevice(ctx, "ivan", "i1", "", first.ID, t0); err != nil || d.ID == first.ID {
		t.Fatalf("ivan renewing anna's device: %+v, %v", d, err)
	}
	// MaxDevices: the ones unused longest go.
	for i := range MaxDevices + 2 {
		if _, err := db.RecordDevice(ctx, "anna", fmt.Sprintf("n%d", i), "Chrome\x1b[2J", 0, t0.Add(time.Duration(i+2)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	list, _ = db.Devices(ctx, "anna")
	if len(list) != MaxDevices || known("anna", "h1b") == nil || known("anna", "n1") == nil || known("anna", "n2") != nil {
		t.Errorf("past MaxDevices: %d devices kept, want %d without the oldest three", len(list), MaxDevices)
	}
	if list[0].Agent != "Chrome?[2J" {
		t.Errorf("agent stored as %q, want it neutralised", list[0].Agent)
	}
	all, _ := db.Devices(ctx, "")
	if len(all) != MaxDevices+1 || all[0].User != "anna" || all[len(all)-1].User != "ivan" {
		t.Errorf("Devices(\"\") = %d rows, want %d by account", len(all), MaxDevices+1)
	}
	// Revoke one: its cookie counts no more, audited; again or another's is ErrNoDevice.
	victim := list[0]
	if err := db.RevokeDevice(ctx, "anna", victim.ID, "anna"); err != nil {
		t.Fatal(err)
	}
	if known("anna", fmt.Sprintf("n%d", MaxDevices+1)) == nil {
		t.Error("a revoked device still counts")
	}
	for _, c := range []struct {
		name string
		id   int64
	}{{"anna", victim.ID}, {"ivan", list[1].ID}, {"anna", 99999}} {
		if err := db.RevokeDevice(ctx, c.name, c.id, "cli"); !errors.Is(err, ErrNoDevice) || !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("RevokeDevice(%s, %d) = %v, want ErrNoDevice", c.name, c.id, err)
		}
	}
	audit, _ := db.RecentAudit(ctx, 1)
	if len(audit) != 1 || audit[0].Action != ActionDeviceRevoke || audit[0].Actor != "anna" ||
		!strings.Contains(audit[0].Detail, fmt.Sprintf("anna device %d (Chrome?[2J)", victim.ID)) {
		t.Errorf("audit = %+v", audit)
	}
	// The epoch moves on: every device of the account goes, others stay.
	for _, st := range []struct {
		what string
		run  func() error
	}{
		{"passwd", func() error { return db.SetPassword(ctx, "anna", "supervisor-pw2") }},
		{"disable", func() error { return db.DisableUser(ctx, "anna") }},
		{"remove", func() error { return db.RemoveUser(ctx, "anna") }},
	} {
		if _, err := db.RecordDevice(ctx, "anna", "e-"+st.what, "", 0, t0.Add(48*time.Hour)); err != nil && st.what != "remove" {
			t.Fatal(err)
		}
		if err := st.run(); err != nil {
			t.Fatal(err)
		}
		if l, _ := db.Devices(ctx, "anna"); len(l) != 0 {
			t.Errorf("after %s: %d devices of anna left", st.what, len(l))
		}
		if st.what == "disable" {
			_ = db.EnableUser(ctx, "anna")
		}
	}
	if l, _ := db.Devices(ctx, "ivan"); len(l) != 1 {
		t.Errorf("ivan's device went with anna's: %d left", len(l))
	}
}

// TestDevicesExpire: a device unused for longer than its cookie lives
// (devicecookie.Lifetime) is dropped at the account's next new device;
// one used within it stays.
func TestDevicesExpire(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	if err := db.AddUser(ctx, "anna", RoleOperator, "operator-pw"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, h := range []struct {
		hash string
		at   time.Time
	}{{"old", t0}, {"recent", t0.Add(devicecookie.Lifetime - time.Hour)}, {"new", t0.Add(devicecookie.Lifetime + time.Hour)}} {
		if _, err := db.RecordDevice(ctx, "anna", h.hash, "", 0, h.at); err != nil {
			t.Fatal(err)
		}
	}
	for hash, want := range map[string]bool{"old": false, "recent": true, "new": true} {
		if _, err := db.KnownDevice(ctx, "anna", hash); (err == nil) != want {
			t.Errorf("device %s: kept = %v, want %v", hash, err == nil, want)
		}
	}
}
