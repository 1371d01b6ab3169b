package hubweb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestNewPasswordEndsSessions: a new password (markhub user password,
// another process on the same database) ends every open session of the
// account at its next request, in every browser, and the login page says
// the login ended; the old password no longer logs in, the new one does;
// another account's session stays.
func TestNewPasswordEndsSessions(t *testing.T) {
	e, _ := lifetimeEnv(t)
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("other password 1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddUser(ctx, "other-sup", string(hash), e.now); err != nil {
		t.Fatal(err)
	}
	a, b, other := newBrowser(t, e.ts.URL), newBrowser(t, e.ts.URL), newBrowser(t, e.ts.URL)
	a.login(supName, supPass)
	b.login(supName, supPass)
	other.login("other-sup", "other password 1")

	hash, _ = bcrypt.GenerateFromPassword([]byte("a new password"), bcrypt.MinCost)
	if n, err := e.store.SetPassword(ctx, supName, string(hash)); err != nil || n != 2 {
		t.Fatalf("new password: %d sessions ended, %v; want 2", n, err)
	}
	for _, br := range []*browser{a, b} {
		code, _, hdr := br.do("GET", "/", nil)
		if loc := hdr.Get("Location"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?ended=ended&") {
			t.Fatalf("a session after the new password: %d to %q, want 303 to the login page saying it ended", code, loc)
		}
		if _, page, _ := br.do("GET", hdr.Get("Location"), nil); !strings.Contains(page, "Your login has ended") {
			t.Fatalf("login page after the new password does not say the login ended:\n%s", page)
		}
	}
	if code, _, _ := other.do("GET", "/", nil); code != http.StatusOK {
		t.Fatalf("another account's session after the new password: %d, want 200", code)
	}
	if code, _ := loginAs(t, e, supName, supPass); code != http.StatusUnauthorized {
		t.Fatalf("the old password: %d, want 401", code)
	}
	a.login(supName, "a new password")
}

// TestDisabledAccount: disabling an account (markhub user disable,
// another process) ends its open sessions at their next request; the
// login then says the account is disabled after the right password only
// (a wrong one gets the usual answer); enabled again, it logs in.
func TestDisabledAccount(t *testing.T) {
	e, _ := lifetimeEnv(t)
	ctx := context.Background()
	a := newBrowser(t, e.ts.URL)
	a.login(supName, supPass)
	if n, err := e.store.SetDisabled(ctx, supName, true); err != nil || n != 1 {
		t.Fatalf("disable: %d sessions ended, %v; want 1", n, err)
	}
	if code, _, hdr := a.do("GET", "/", nil); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/login?ended=ended&") {
		t.Fatalf("a session after disable: %d to %q, want 303 to the login page saying it ended", code, hdr.Get("Location"))
	}
	wrongCode, wrongPage := loginAs(t, e, supName, "not the password")
	if wrongCode != http.StatusUnauthorized || strings.Contains(wrongPage, "disabled") {
		t.Fatalf("wrong password of a disabled account: %d, says disabled: %v", wrongCode, strings.Contains(wrongPage, "disabled"))
	}
	if code, page := loginAs(t, e, supName, supPass); code != http.StatusForbidden || !strings.Contains(page, "This account is disabled") {
		t.Fatalf("right password of a disabled account: %d\n%s", code, page)
	}
	if _, err := e.store.SetDisabled(ctx, supName, false); err != nil {
		t.Fatal(err)
	}
	a.login(supName, supPass)
}
