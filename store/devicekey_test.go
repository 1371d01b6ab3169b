package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"markd/mark"
)

// TestDeviceKey: the key of an account's device cookies stays while
// nothing changes and is a new one after each step that must end them
// (new password, disable, enable after it, remove and add again); an
// unknown name and a disabled account have none.
func TestDeviceKey(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	const name = "sveta"
	if err := db.AddUser(ctx, name, RoleSupervisor, "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUser(ctx, "other", RoleSupervisor, "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeviceKey(ctx, "nobody"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("unknown name: %v, want not found", err)
	}
	first, err := db.DeviceKey(ctx, name)
	if err != nil || len(first) != 32 {
		t.Fatalf("key: %x, %v", first, err)
	}
	if again, _ := db.DeviceKey(ctx, name); !bytes.Equal(again, first) {
		t.Fatal("the key changed with nothing done to the account")
	}
	if o, _ := db.DeviceKey(ctx, "other"); bytes.Equal(o, first) {
		t.Fatal("two accounts with one password share a key")
	}
	seen := [][]byte{first}
	for _, st := range []struct {
		what string
		run  func() error
	}{
		{"passwd", func() error { return db.SetPassword(ctx, name, "supervisor-pw") }},
		{"disable+enable", func() error {
			if err := db.DisableUser(ctx, name); err != nil {
				return err
			}
			if _, err := db.DeviceKey(ctx, name); !errors.Is(err, ErrUserDisabled) {
				t.Errorf("disabled: %v, want ErrUserDisabled", err)
			}
			return db.EnableUser(ctx, name)
		}},
		{"remove+add", func() error {
			if err := db.RemoveUser(ctx, name); err != nil {
				return err
			}
			return db.AddUser(ctx, name, RoleSupervisor, "supervisor-pw")
		}},
	} {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		k, err := db.DeviceKey(ctx, name)
		if err != nil {
			t.Fatalf("after %s: %v", st.what, err)
		}
		for _, old := range seen {
			if bytes.Equal(k, old) {
				t.Fatalf("after %s: the key of before", st.what)
			}
		}
		seen = append(seen, k)
	}
}
