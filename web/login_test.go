package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/store"
)

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, nil) // LoginLimit 3 per minute
	c := e.client()
	for i := 0; i < 3; i++ {
		if code := c.tryLogin(supName, "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, code)
		}
	}
	c.get("/login")
	code, _, hdr := c.do("POST", "/login", url.Values{"user": {supName}, "password": {supPass}, "csrf": {c.csrf}}, nil)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("4th attempt with the right password: %d (Retry-After %q), want 429", code, hdr.Get("Retry-After"))
	}
	if code := e.client().tryLogin(opName, opPass); code != http.StatusSeeOther {
		t.Fatalf("another user from the same address: %d, want 303", code)
	}
	e.clock.Add(61 * time.Second)
	if code := c.tryLogin(supName, supPass); code != http.StatusSeeOther {
		t.Fatalf("after a minute: %d, want 303", code)
	}
	// A success clears the count.
	for i := 0; i < 2; i++ {
		c.tryLogin(supName, "wrong")
	}
	if code := c.tryLogin(supName, supPass); code != http.StatusSeeOther {
		t.Fatalf("2 failures then right: %d, want 303", code)
	}
	// A spray of names from one address hits the per-address limit
	// (4 × login_limit failures per minute) although each name is new.
	e.clock.Add(61 * time.Second)
	for i := 0; i < 4*3; i++ {
		if code := c.tryLogin(fmt.Sprintf("guess%d", i), "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("spray attempt %d: %d, want 401", i, code)
		}
	}
	if code := c.tryLogin("guess-new", "wrong"); code != http.StatusTooManyRequests {
		t.Fatalf("spray attempt over the address limit: %d, want 429", code)
	}
	entries, _ := e.db.RecentAudit(context.Background(), 100)
	fails := 0
	for _, a := range entries {
		if a.Action == store.ActionLoginFailed {
			fails++
		}
	}
	if fails != 5+12 {
		t.Fatalf("audit has %d failed logins, want 17", fails)
	}
}

func TestLogoutAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client()
	c.login(supName, supPass)
	if code, _ := c.post("/logout", url.Values{"csrf": {"bad"}}); code != http.StatusForbidden {
		t.Fatalf("logout without token: %d, want 403", code)
	}
	if code, _ := c.get("/review"); code != http.StatusOK {
		t.Fatalf("still logged in after refused logout: %d", code)
	}
	if code, _ := c.post("/logout", nil); code != http.StatusSeeOther {
		t.Fatalf("logout: %d, want 303", code)
	}
	if code, _, _ := c.do("GET", "/review", nil, map[string]string{"Accept": "*/*"}); code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d, want 401", code)
	}
	e.opMu.Lock()
	names := append([]string(nil), e.opNames...)
	e.opMu.Unlock()
	if len(names) != 0 {
		t.Fatalf("SetOperator calls %q: a supervisor is never the counter's operator", names)
	}
	// Idle expiry: a session unused for longer than SessionTTL is gone.
	c2 := e.client()
	c2.login(opName, opPass)
	e.clock.Add(59 * time.Minute)
	if code, _ := c2.get("/"); code != http.StatusOK {
		t.Fatalf("within the TTL: %d", code)
	}
	e.clock.Add(61 * time.Minute)
	if code, _, _ := c2.do("GET", "/", nil, map[string]string{"Accept": "*/*"}); code != http.StatusUnauthorized {
		t.Fatalf("after the idle TTL: %d, want 401", code)
	}
	e.opMu.Lock()
	names = append([]string(nil), e.opNames...)
	e.opMu.Unlock()
	if len(names) != 2 || names[0] != opName || names[1] != "" {
		t.Fatalf("SetOperator calls %q: the operator's login names them, the idle expiry of their session un-names them", names)
	}
}

func TestCookieFlags(t *testing.T) {
	for _, tls := range []bool{false, true} {
		e := newEnv(t, func(o *Options) { o.TLS = tls })
		c := e.client()
		c.get("/login")
		_, _, hdr := c.do("POST", "/login", url.Values{"user": {supName}, "password": {supPass}, "csrf": {c.csrf}}, nil)
		var found bool
		for _, line := range hdr.Values("Set-Cookie") {
			if !strings.HasPrefix(line, sessionCookie+"=") {
				continue
			}
			found = true
			if !strings.Contains(line, "HttpOnly") || !strings.Contains(line, "SameSite=Strict") || strings.Contains(line, "Secure") != tls {
				t.Fatalf("TLS %v: session cookie %q", tls, line)
			}
		}
		if !found {
			t.Fatalf("TLS %v: no session cookie in %v", tls, hdr.Values("Set-Cookie"))
		}
	}
}

// TestLoginFormTokenLastsTheBrowserSession: the login form's token is a
// browser-session cookie (no Max-Age, no Expires), so a login page left
// open overnight at a counter still logs in.
func TestLoginFormTokenLastsTheBrowserSession(t *testing.T) {
	e := newEnv(t, nil)
	_, _, hdr := e.client().do("GET", "/login", nil, nil)
	found := false
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		if ck.Name != loginCSRFCookie {
			continue
		}
		found = true
		if ck.MaxAge != 0 || !ck.Expires.IsZero() {
			t.Errorf("login form cookie %q expires (Max-Age %d, Expires %v), want a browser-session cookie", ck.Raw, ck.MaxAge, ck.Expires)
		}
	}
	if !found {
		t.Fatal("GET /login set no login form cookie")
	}
}

// TestLoginLimitAttemptsAtOnce: guesses sent together are limited as
// guesses sent one after the other. A password check takes ~100 ms
// (bcrypt); the limit was checked before it and counted after it, so
// forty guesses sent at once were all checked against a limit of 3. Here
// the check is held until every attempt has either reached it or been
// refused: only login_limit reach it.
func TestLoginLimitAttemptsAtOnce(t *testing.T) {
	e := newEnv(t, nil) // LoginLimit 3 per minute
	entered, hold := make(chan struct{}), make(chan struct{})
	check := e.srv.authenticate
	e.srv.authenticate = func(ctx context.Context, name, password string) (store.User, error) {
		entered <- struct{}{}
		<-hold
		return check(ctx, name, password)
	}
	const n = 10
	codes := make(chan int, n)
	checked := 0
	for i := range n {
		c := e.client() // a browser each: every login page sets its own form token
		c.get("/login")
		csrf := c.csrf
		done := make(chan struct{})
		go func() {
			defer close(done)
			form := url.Values{"user": {supName}, "password": {fmt.Sprint("guess", i)}, "csrf": {csrf}}
			res, err := c.hc.PostForm(e.ts.URL+"/login", form)
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
		select { // this attempt is either being checked or was refused
		case <-entered:
			checked++
		case <-done:
		}
	}
	close(hold)
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	if checked != 3 || got[http.StatusUnauthorized] != 3 || got[http.StatusTooManyRequests] != n-3 {
		t.Fatalf("%d attempts at once: %d checked, answers %v; want 3 checked (401), %d refused (429)", n, checked, got, n-3)
	}
	// The successes give their attempt back: one address logs in more
	// often than the limit when the passwords are right.
	e.srv.authenticate = check
	e.clock.Add(61 * time.Second)
	for i := range 4*3 + 1 {
		if code := e.client().tryLogin(opName, opPass); code != http.StatusSeeOther {
			t.Fatalf("right password, login %d from one address: %d, want 303", i+1, code)
		}
	}
}
