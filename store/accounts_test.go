package store

import (
	"context"
	"errors"
	"testing"

	"markd/mark"
)

// TestAccountLifecycle walks one account through what ends its sessions
// (the epoch changes) and what keeps them, and checks who may log in.
func TestAccountLifecycle(t *testing.T) {
	ctx := context.Background()
	db := rvOpen(t)
	const name, pw = "ivan", "operator-pw"
	if err := db.AddUser(ctx, name, RoleOperator, pw); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, AuditEntry{Actor: name, Action: ActionLogin}); err != nil {
		t.Fatal(err)
	}
	var epochs []string // every epoch the account had
	epochNow := func() string {
		u, err := db.GetUser(ctx, name)
		if err != nil {
			return "gone"
		}
		return u.Epoch
	}
	steps := []struct {
		what       string
		run        func() error
		wantErr    error
		newEpoch   bool  // the sessions of the account end
		loginErr   error // Authenticate with pw afterwards
		loginCheck error // second sentinel the login error must carry
	}{
		{"login", func() error { return nil }, nil, false, nil, nil},
		{"disable", func() error { return db.DisableUser(ctx, name) }, nil, true, mark.ErrUnauthorized, ErrUserDisabled},
		{"disable again", func() error { return db.DisableUser(ctx, name) }, nil, true, mark.ErrUnauthorized, ErrUserDisabled},
		{"enable", func() error { return db.EnableUser(ctx, name) }, nil, false, nil, nil},
		{"passwd", func() error { return db.SetPassword(ctx, name, pw) }, nil, true, nil, nil},
		{"disable unknown", func() error { return db.DisableUser(ctx, "nobody") }, mark.ErrNotFound, false, nil, nil},
		{"enable unknown", func() error { return db.EnableUser(ctx, "nobody") }, mark.ErrNotFound, false, nil, nil},
		{"remove unknown", func() error { return db.RemoveUser(ctx, "nobody") }, mark.ErrNotFound, false, nil, nil},
		{"remove", func() error { return db.RemoveUser(ctx, name) }, nil, true, mark.ErrUnauthorized, nil},
		{"remove again", func() error { return db.RemoveUser(ctx, name) }, mark.ErrNotFound, false, mark.ErrUnauthorized, nil},
		{"add again", func() error { return db.AddUser(ctx, name, RoleOperator, pw) }, nil, true, nil, nil},
	}
	for _, st := range steps {
		before := epochNow()
		err := st.run()
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.what, err, st.wantErr)
		}
		after := epochNow()
		if (after != before) != st.newEpoch {
			t.Errorf("%s: epoch %q -> %q, want changed = %v", st.what, before, after, st.newEpoch)
		}
		if st.newEpoch && after != "gone" {
			for _, old := range epochs {
				if old == after {
					t.Errorf("%s: epoch %q was the account's before: an old session would live again", st.what, after)
				}
			}
		}
		epochs = append(epochs, before)
		_, err = db.Authenticate(ctx, name, pw)
		if st.loginErr == nil && err != nil || st.loginErr != nil && !errors.Is(err, st.loginErr) {
			t.Errorf("%s: login err = %v, want %v", st.what, err, st.loginErr)
		}
		if st.loginCheck != nil && !errors.Is(err, st.loginCheck) {
			t.Errorf("%s: login err = %v, want also %v", st.what, err, st.loginCheck)
		}
	}
	// The audit log keeps the old account's login and says what was done.
	got, err := db.RecentAudit(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range got {
		if e.Actor == name && e.Action == ActionLogin || e.Detail == name {
			seen[e.Action] = true
		}
	}
	for _, a := range []string{ActionLogin, ActionUserDisable, ActionUserEnable, ActionUserPasswd, ActionUserRemove} {
		if !seen[a] {
			t.Errorf("audit has no %s naming %s: %+v", a, name, got)
		}
	}
}
