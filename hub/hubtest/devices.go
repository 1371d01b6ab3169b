package hubtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"markd/hub"
	"markd/internal/devicecookie"
	"markd/mark"
)

// RunDeviceSuite holds a backend to hub.DeviceBook: a device recorded at
// a login, renewed by the next login with its cookie (the same id, its
// first login kept), bounded to hub.MaxDevices (the one unused longest
// dropped), revoked one by one (another account's id, an unknown one,
// one revoked already: hub.ErrNoDevice), its User-Agent summary
// neutralised, every device of an account gone with a new password,
// a disable or a removal (an enable brings none back), and a device
// unused for longer than its cookie lives dropped.
func RunDeviceSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open)
	r := regionalOf(t, s)
	ctx := context.Background()
	for _, n := range []string{"anna", "ivan"} {
		if err := r.AddUser(ctx, n, "$2a$04$hash-of-"+n, t0); err != nil {
			t.Fatal(err)
		}
	}
	known := func(name, hash string) error { _, err := r.KnownDevice(ctx, name, hash); return err }
	first, err := r.RecordDevice(ctx, "anna", "h1", "Firefox 128 on Windows", 0, t0)
	if err != nil || first.ID == 0 {
		t.Fatalf("record: %+v, %v", first, err)
	}
	if _, err := r.RecordDevice(ctx, "nobody", "hx", "", 0, t0); !errors.Is(err, mark.ErrNotFound) {
		t.Errorf("device of an unknown account: err = %v, want mark.ErrNotFound", err)
	}
	for _, c := range []struct {
		name, hash string
		want       error
	}{{"anna", "h1", nil}, {"ivan", "h1", hub.ErrNoDevice}, {"anna", "h2", hub.ErrNoDevice}} {
		if err := known(c.name, c.hash); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("KnownDevice(%s, %s) = %v, want %v", c.name, c.hash, err, c.want)
		}
	}
	again, err := r.RecordDevice(ctx, "anna", "h1b", "Firefox 129 on Windows", first.ID, t0.Add(time.Hour))
	if err != nil || again.ID != first.ID || !again.Issued.Equal(t0) {
		t.Fatalf("renew: %+v, %v; want id %d first issued %v", again, err, first.ID, t0)
	}
	if known("anna", "h1") == nil || known("anna", "h1b") != nil {
		t.Error("after a renewal the old cookie still counts or the new one does not")
	}
	list, err := r.Devices(ctx, "anna")
	if err != nil || len(list) != 1 || !list[0].Issued.Equal(t0) || !list[0].LastUsed.Equal(t0.Add(time.Hour)) || list[0].Agent != "Firefox 129 on Windows" {
		t.Fatalf("Devices = %+v, %v", list, err)
	}
	if d, err := r.RecordDevice(ctx, "ivan", "i1", "", first.ID, t0); err != nil || d.ID == first.ID {
		t.Fatalf("ivan renewing anna's device: %+v, %v; want a new row", d, err)
	}
	for i := range hub.MaxDevices + 2 {
		if _, err := r.RecordDevice(ctx, "anna", fmt.Sprintf("n%d", i), "Chrome\x1b[2J\u202e", 0, t0.Add(time.Duration(i+2)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	list, _ = r.Devices(ctx, "anna")
	if len(list) != hub.MaxDevices || known("anna", "h1b") == nil || known("anna", "n1") == nil || known("anna", "n2") != nil {
		t.Errorf("past MaxDevices: %d devices kept, want %d without the three unused longest", len(list), hub.MaxDevices)
	}
	if len(list) > 0 && list[0].Agent != "Chrome?[2J?" {
		t.Errorf("agent stored as %q, want it neutralised", list[0].Agent)
	}
	victim := list[0]
	got, err := r.RevokeDevice(ctx, "anna", victim.ID)
	if err != nil || got.ID != victim.ID || got.Agent != victim.Agent || !got.LastUsed.Equal(victim.LastUsed) {
		t.Fatalf("RevokeDevice = %+v, %v; want %+v", got, err, victim)
	}
	if known("anna", fmt.Sprintf("n%d", hub.MaxDevices+1)) == nil {
		t.Error("a revoked device still counts")
	}
	ivans, _ := r.Devices(ctx, "ivan")
	for _, c := range []struct {
		name string
		id   int64
	}{{"anna", victim.ID}, {"anna", ivans[0].ID}, {"anna", 1 << 40}} {
		if _, err := r.RevokeDevice(ctx, c.name, c.id); !errors.Is(err, hub.ErrNoDevice) || !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("RevokeDevice(%s, %d) = %v, want hub.ErrNoDevice", c.name, c.id, err)
		}
	}
	for _, st := range []struct {
		what string
		run  func() error
	}{
		{"password", func() error { _, err := r.SetPassword(ctx, "anna", "$2a$04$new"); return err }},
		{"disable", func() error { _, err := r.SetDisabled(ctx, "anna", true); return err }},
		{"remove", func() error { _, err := r.RemoveUser(ctx, "anna"); return err }},
	} {
		if _, err := r.RecordDevice(ctx, "anna", "e-"+st.what, "", 0, t0.Add(48*time.Hour)); err != nil {
			t.Fatalf("before %s: %v", st.what, err)
		}
		if err := st.run(); err != nil {
			t.Fatal(err)
		}
		if st.what == "disable" {
			if _, err := r.SetDisabled(ctx, "anna", false); err != nil {
				t.Fatal(err)
			}
		}
		if l, _ := r.Devices(ctx, "anna"); len(l) != 0 {
			t.Errorf("after %s: %d devices of anna left", st.what, len(l))
		}
	}
	if err := r.AddUser(ctx, "anna", "$2a$04$again", t0); err != nil {
		t.Fatal(err)
	}
	if known("anna", "e-remove") == nil {
		t.Error("a device of a removed account counts for the account added again under its name")
	}
	if l, _ := r.Devices(ctx, "ivan"); len(l) != 1 {
		t.Errorf("ivan's device went with anna's: %d left", len(l))
	}
	// A device unused for longer than its cookie lives goes at the
	// account's next new device; one used within it stays.
	if _, err := r.RecordDevice(ctx, "ivan", "i2", "", 0, t0.Add(devicecookie.Lifetime-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RecordDevice(ctx, "ivan", "i3", "", 0, t0.Add(devicecookie.Lifetime+time.Hour)); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]bool{"i1": false, "i2": true, "i3": true} {
		if err := known("ivan", hash); (err == nil) != want {
			t.Errorf("ivan's device %s a year on: kept = %v, want %v", hash, err == nil, want)
		}
	}
}
