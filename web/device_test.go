package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeviceCookie: the device cookie a login gives is HttpOnly,
// SameSite=Strict, sent to /login only, Secure under TLS, and counts
// only as made: for its own account, unchanged, not older than its
// lifetime, the account neither disabled nor removed.
func TestDeviceCookie(t *testing.T) {
	for _, tls := range []bool{false, true} {
		e := newEnv(t, func(o *Options) { o.TLS = tls })
		ctx := context.Background()
		made := func(name string) *http.Cookie {
			rec := httptest.NewRecorder()
			e.srv.setDevice(rec, httptest.NewRequest("POST", "/login", nil), name)
			cs := rec.Result().Cookies()
			if len(cs) != 1 {
				t.Fatalf("setDevice(%s): cookies %v", name, cs)
			}
			return cs[0]
		}
		c := made(supName)
		if c.Name != deviceCookieName(supName) || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/login" ||
			c.Secure != tls || c.MaxAge < 300*24*3600 {
			t.Fatalf("TLS %v: device cookie %+v", tls, c)
		}
		if deviceCookieName(supName) == deviceCookieName(opName) {
			t.Fatal("two accounts share a device cookie name")
		}
		id, at, mac := func() (string, string, string) {
			p := strings.Split(c.Value, ".")
			return p[0], p[1], p[2]
		}()
		check := func(cookieName, value, user string) string {
			r := httptest.NewRequest("POST", "/login", nil)
			r.AddCookie(&http.Cookie{Name: cookieName, Value: value})
			return e.srv.device(r, user)
		}
		sup := deviceCookieName(supName)
		for _, tc := range []struct {
			what, name, value, user string
			ok                      bool
		}{
			{"as made", sup, c.Value, supName, true},
			{"none", "other", c.Value, supName, false},
			{"empty", sup, "", supName, false},
			{"typed another name", deviceCookieName(opName), c.Value, opName, false},
			{"another id", sup, otherFirst(id) + "." + at + "." + mac, supName, false},
			{"issued later", sup, id + "." + at + "1." + mac, supName, false},
			{"another signature", sup, id + "." + at + "." + made(supName).Value[len(id)+len(at)+2:], supName, false},
			{"no signature", sup, id + "." + at, supName, false},
			{"not a time", sup, id + ".x." + mac, supName, false},
			{"signature not base64", sup, id + "." + at + ".!!", supName, false},
		} {
			got := check(tc.name, tc.value, tc.user)
			if (got != "") != tc.ok || tc.ok && got != id {
				t.Errorf("TLS %v, %s: device %q, want it counted %v", tls, tc.what, got, tc.ok)
			}
		}
		e.clock.Add(deviceLifetime - time.Minute)
		if check(sup, c.Value, supName) == "" {
			t.Error("a minute before its lifetime ends: not counted")
		}
		e.clock.Add(2 * time.Minute)
		if check(sup, c.Value, supName) != "" {
			t.Error("past its lifetime: counted")
		}
		c = made(supName)
		if err := e.db.DisableUser(ctx, supName); err != nil {
			t.Fatal(err)
		}
		if check(sup, c.Value, supName) != "" {
			t.Error("the account disabled: counted")
		}
		if err := e.db.RemoveUser(ctx, supName); err != nil {
			t.Fatal(err)
		}
		if check(sup, c.Value, supName) != "" {
			t.Error("the account removed: counted")
		}
	}
}

// otherFirst is id with its first character changed (a random id may
// start with any base64url character, "A" too).
func otherFirst(id string) string {
	if id[0] == 'A' {
		return "B" + id[1:]
	}
	return "A" + id[1:]
}
