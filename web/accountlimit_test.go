package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/store"
)

// clientFrom is a browser whose connections come from ip (any address of
// 127.0.0.0/8 is this machine's on Linux): a guesser's many hosts
// against one real server.
func (e *env) clientFrom(ip string) *client {
	c := e.client()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.hc.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// loginCode posts the login form of c as name and returns the status and
// the Retry-After header.
func (c *client) loginCode(name, pass string) (int, string) {
	c.e.t.Helper()
	c.get("/login")
	code, _, h := c.do("POST", "/login", url.Values{"user": {name}, "password": {pass}, "csrf": {c.csrf}}, nil)
	return code, h.Get("Retry-After")
}

// TestLoginAccountLimit: a password guesser spread over many addresses
// (fifty hosts, two guesses each: under every limit per address) against
// one account was never slowed. Now the account takes
// AccountLoginLimit (10) failed logins a minute over all addresses from
// browsers without its device cookie, then 429 with Retry-After, the
// first refusal audited once. The supervisor's own browser, which logged
// in before (device cookie), still logs in during the attack; another
// account's device cookie, or the supervisor's put under another
// cookie's name, does not help; after a new password, or a disable and
// enable, the supervisor's old cookie no longer spares its browser; and
// a minute after the guesses stop anyone logs in again.
func TestLoginAccountLimit(t *testing.T) {
	e := newEnv(t, nil) // LoginLimit 3, AccountLoginLimit 10
	ctx := context.Background()
	if c := e.clientFrom("127.0.0.2"); func() error { _, err := c.hc.Get(e.ts.URL + "/login"); return err }() != nil {
		t.Skip("cannot send from 127.0.0.2 on this system")
	}
	sup := e.client() // the supervisor's own browser, at 127.0.0.1
	sup.login(supName, supPass)
	op := e.client() // the operator's browser
	op.login(opName, opPass)

	// attack sends two wrong guesses for the supervisor from each of 50
	// hosts and checks that AccountLoginLimit of them were checked.
	attack := func() {
		t.Helper()
		counts := map[int]int{}
		for h := range 50 {
			bot := e.clientFrom(fmt.Sprintf("127.0.1.%d", h+1))
			for g := range 2 {
				code, retry := bot.loginCode(supName, fmt.Sprintf("guess-%d-%d", h, g))
				counts[code]++
				if code == http.StatusTooManyRequests && retry == "" {
					t.Fatalf("host %d guess %d: 429 without Retry-After", h, g)
				}
			}
		}
		if counts[http.StatusUnauthorized] != DefaultAccountLoginLimit || counts[http.StatusTooManyRequests] != 100-DefaultAccountLoginLimit {
			t.Fatalf("50 hosts × 2 guesses: answers %v; want %d × 401, then 429", counts, DefaultAccountLoginLimit)
		}
	}
	attack()

	base, _ := url.Parse(e.ts.URL)
	var supDevice, opDevice *http.Cookie
	loginURL := &url.URL{Scheme: "http", Host: base.Host, Path: "/login"}
	for _, ck := range sup.hc.Jar.Cookies(loginURL) {
		if ck.Name == deviceCookieName(supName) {
			supDevice = ck
		}
	}
	for _, ck := range op.hc.Jar.Cookies(loginURL) {
		if ck.Name == deviceCookieName(opName) {
			opDevice = ck
		}
	}
	if supDevice == nil || opDevice == nil {
		t.Fatalf("no device cookie after a login: supervisor %v, operator %v", supDevice, opDevice)
	}
	withCookie := func(name, value string) *client {
		c := e.client()
		c.hc.Jar.SetCookies(loginURL, []*http.Cookie{{Name: name, Value: value, Path: "/login"}})
		return c
	}
	for _, tc := range []struct {
		what string
		c    *client
		want int
	}{
		{"a new browser, right password", e.client(), http.StatusTooManyRequests},
		{"the operator's browser (its device cookie), right password", op, http.StatusTooManyRequests},
		{"the operator's device cookie under the supervisor's cookie name", withCookie(deviceCookieName(supName), opDevice.Value), http.StatusTooManyRequests},
		{"a made-up device cookie", withCookie(deviceCookieName(supName), fmt.Sprintf("x.%d.AAAA", e.clock.Now().Unix())), http.StatusTooManyRequests},
		{"the supervisor's own browser, right password", sup, http.StatusSeeOther},
		{"the supervisor's device cookie copied into another browser", withCookie(deviceCookieName(supName), supDevice.Value), http.StatusSeeOther},
	} {
		if code, _ := tc.c.loginCode(supName, supPass); code != tc.want {
			t.Errorf("during the attack, %s: %d, want %d", tc.what, code, tc.want)
		}
	}

	audit, err := e.db.RecentAudit(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, a := range audit {
		if a.Action == store.ActionLoginFailed && strings.HasPrefix(a.Detail, "account limit") {
			told++
			if a.Actor != supName {
				t.Errorf("the account limit audited as %q, want %q", a.Actor, supName)
			}
		}
	}
	if told != 1 {
		t.Fatalf("the account limit audited %d times, want once a minute", told)
	}

	// The device cookie holds only for the account as it was.
	pass := supPass
	for _, st := range []struct {
		what string
		run  func() error
	}{
		{"a new password", func() error { pass = "new-supervisor-pw"; return e.db.SetPassword(ctx, supName, pass) }},
		{"disable and enable", func() error {
			if err := e.db.DisableUser(ctx, supName); err != nil {
				return err
			}
			return e.db.EnableUser(ctx, supName)
		}},
	} {
		e.clock.Add(61 * time.Second) // the guesses are a minute old: anyone logs in
		if code, _ := e.client().loginCode(supName, pass); code != http.StatusSeeOther {
			t.Fatalf("before %s, a minute after the guesses, a new browser: %d, want 303", st.what, code)
		}
		sup.login(supName, pass) // a fresh device cookie
		attack()
		if code, _ := sup.loginCode(supName, pass); code != http.StatusSeeOther {
			t.Fatalf("before %s, the supervisor's own browser during the attack: %d, want 303", st.what, code)
		}
		if err := st.run(); err != nil {
			t.Fatal(err)
		}
		if code, _ := sup.loginCode(supName, pass); code != http.StatusTooManyRequests {
			t.Fatalf("after %s, the supervisor's browser (its cookie from before) during the attack: %d, want 429", st.what, code)
		}
	}
	e.clock.Add(61 * time.Second)
	if code, _ := e.client().loginCode(supName, pass); code != http.StatusSeeOther {
		t.Fatalf("a minute after the last guesses, a new browser: %d, want 303", code)
	}
}
