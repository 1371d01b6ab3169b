package web

import (
	"context"
	"net/http"
	"testing"

	"markd/store"
)

// TestPasswordInNameFieldNotAudited: a password typed into the name field
// (no account has that name) never reaches the audit log; a known name's
// failure is audited with the name.
func TestPasswordInNameFieldNotAudited(t *testing.T) {
	e := newEnv(t, nil)
	const secret = "Tr0ub4dor&3-secret"
	if code := e.client().tryLogin(secret, ""); code != http.StatusUnauthorized {
		t.Fatalf("login: %d", code)
	}
	if code := e.client().tryLogin(supName, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("login: %d", code)
	}
	entries, err := e.db.RecentAudit(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, a := range entries {
		if a.Action == store.ActionLoginFailed {
			failed = append(failed, a.Actor)
		}
		if a.Actor == secret || a.Detail == secret || a.Note == secret {
			t.Fatalf("the typed secret is in the audit log: %+v", a)
		}
	}
	if len(failed) != 2 || !(failed[0] == supName || failed[1] == supName) {
		t.Fatalf("failed logins audited as %v", failed)
	}
}
