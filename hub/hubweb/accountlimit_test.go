package hubweb_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"markd/internal/syncbuf"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/hubweb"
	"markd/hub/pgstore"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
)

// regionalStore opens an empty collector store of backend (sqlite: a
// file; postgres: a database of its own in the test binary's shared
// cluster, skipped when not installed).
func regionalStore(t *testing.T, backend string) hub.Regional {
	t.Helper()
	ctx := context.Background()
	switch backend {
	case "sqlite":
		s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	default:
		dsn := hubtest.SharedDatabase(t)
		s, err := pgstore.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// otherSup is a second regional account beside the supervisor.
const otherSup, otherSupPass = "other-sup", "other password 1"

// guessEnv is the regional pages over a real store of a backend with
// the supervisor and otherSup, on a clock moved by advance, their log
// kept.
type guessEnv struct {
	reg     hub.Regional
	pages   *hubweb.Server
	ts      *httptest.Server
	log     *syncbuf.Buffer
	clock   func() time.Time
	advance func(time.Duration)
}

// newGuessEnv starts a guessEnv on backend; skipped where this system
// cannot send from 127.0.1.1 (the guessers' addresses).
func newGuessEnv(t *testing.T, backend string) *guessEnv {
	t.Helper()
	ctx := context.Background()
	e := &guessEnv{reg: regionalStore(t, backend), log: &syncbuf.Buffer{}}
	var mu sync.Mutex
	now := testdata.Now()
	e.clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e.advance = func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for _, u := range [][2]string{{supName, supPass}, {otherSup, otherSupPass}} {
		if err := e.reg.AddUser(ctx, u[0], hash(t, u[1]), now); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	e.pages, err = hubweb.New(hubweb.Options{Store: e.reg, Log: slog.New(slog.NewTextHandler(e.log, nil)), Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.pages.Handler())
	t.Cleanup(e.ts.Close)
	if _, err := newGuessBrowser(t, e.ts.URL, "127.0.1.1").hc.Get(e.ts.URL + "/login"); err != nil {
		t.Skipf("cannot send from 127.0.1.1 on this system: %v", err)
	}
	return e
}

// hash is pw's bcrypt hash at the cheapest cost.
func hash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// guessBrowser is one browser of the regional pages, its connections from ip.
type guessBrowser struct {
	t   *testing.T
	url string
	hc  *http.Client
	set []*http.Cookie // the cookies the last login's answer set
}

func newGuessBrowser(t *testing.T, base, ip string) *guessBrowser {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &guessBrowser{t: t, url: base, hc: &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login posts the login form and returns the status and Retry-After.
func (b *guessBrowser) login(name, password string) (int, string) {
	b.t.Helper()
	res, err := b.hc.Get(b.url + "/login")
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		b.t.Fatalf("login page without a form token: %s", body)
	}
	res, err = b.hc.PostForm(b.url+"/login", url.Values{"csrf": {string(m[1])}, "user": {name}, "password": {password}})
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	b.set = res.Cookies()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// device is the browser's device cookie of name (nil: none).
func (b *guessBrowser) device(name string) *http.Cookie {
	u, _ := url.Parse(b.url + "/login")
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == hubweb.DeviceCookieName(name) {
			return c
		}
	}
	return nil
}

// TestLoginAccountLimit: a password guesser spread over many addresses
// (fifty hosts, two guesses each: under every limit per address) against
// one regional account was never slowed. Now the account takes
// login_account_limit (20) failed logins a minute over all addresses from
// browsers without its device cookie, then 429 with Retry-After, logged
// once. The supervisor's own browser (it logged in before) still logs in
// during the attack; another account's device cookie, or a made-up one,
// does not help; after a new password, or a disable and enable, the old
// cookie no longer spares the browser; a minute after the guesses anyone
// logs in. On both backends (the device secret is in the store).
func TestLoginAccountLimit(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			e := newGuessEnv(t, backend)
			reg, ts, log, clock, advance := e.reg, e.ts, e.log, e.clock, e.advance
			const other, otherPass = otherSup, otherSupPass

			sup := newGuessBrowser(t, ts.URL, "127.0.0.1") // the supervisor's own browser
			if code, _ := sup.login(supName, supPass); code != http.StatusSeeOther {
				t.Fatalf("login: %d", code)
			}
			ob := newGuessBrowser(t, ts.URL, "127.0.0.1") // the other supervisor's
			if code, _ := ob.login(other, otherPass); code != http.StatusSeeOther {
				t.Fatalf("login of %s: %d", other, code)
			}
			supDevice, otherDevice := sup.device(supName), ob.device(other)
			if supDevice == nil || otherDevice == nil {
				t.Fatalf("device cookies after a login: %+v, %+v", supDevice, otherDevice)
			}
			set := false
			for _, c := range ob.set {
				if c.Name == hubweb.DeviceCookieName(other) {
					set = true
					if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/login" || c.MaxAge < 300*24*3600 {
						t.Fatalf("device cookie: %+v, want HttpOnly, SameSite=Strict, Path=/login, long-lived", c)
					}
				}
			}
			if !set {
				t.Fatalf("the login's answer set no device cookie: %v", ob.set)
			}

			attack := func() {
				t.Helper()
				counts := map[int]int{}
				for h := range 50 {
					bot := newGuessBrowser(t, ts.URL, fmt.Sprintf("127.0.1.%d", h+1))
					for g := range 2 {
						code, retry := bot.login(supName, fmt.Sprintf("guess-%d-%d", h, g))
						counts[code]++
						if code == http.StatusTooManyRequests && retry == "" {
							t.Fatalf("host %d guess %d: 429 without Retry-After", h, g)
						}
					}
				}
				if counts[http.StatusUnauthorized] != hub.DefaultLoginAccountLimit || counts[http.StatusTooManyRequests] != 100-hub.DefaultLoginAccountLimit {
					t.Fatalf("50 hosts × 2 guesses: answers %v; want %d × 401, then 429", counts, hub.DefaultLoginAccountLimit)
				}
			}
			attack()

			withCookie := func(value string) *guessBrowser {
				b := newGuessBrowser(t, ts.URL, "127.0.0.1")
				u, _ := url.Parse(ts.URL + "/login")
				b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: hubweb.DeviceCookieName(supName), Value: value, Path: "/login"}})
				return b
			}
			for _, tc := range []struct {
				what string
				b    *guessBrowser
				want int
			}{
				{"a new browser, right password", newGuessBrowser(t, ts.URL, "127.0.0.1"), http.StatusTooManyRequests},
				{"the other supervisor's browser (its device cookie)", ob, http.StatusTooManyRequests},
				{"the other's device cookie under the supervisor's cookie name", withCookie(otherDevice.Value), http.StatusTooManyRequests},
				{"a made-up device cookie", withCookie(fmt.Sprintf("x.%d.AAAA", clock().Unix())), http.StatusTooManyRequests},
				{"the supervisor's own browser", sup, http.StatusSeeOther},
				{"the supervisor's device cookie in another browser", withCookie(supDevice.Value), http.StatusSeeOther},
			} {
				if code, _ := tc.b.login(supName, supPass); code != tc.want {
					t.Errorf("during the attack, %s: %d, want %d", tc.what, code, tc.want)
				}
			}
			if n := strings.Count(log.String(), "regional login limited"); n != 1 {
				t.Errorf("the account limit logged %d times, want once a minute:\n%s", n, log.String())
			}

			pass := supPass
			for _, st := range []struct {
				what string
				run  func() error
			}{
				{"a new password", func() error {
					pass = "a new supervisor password"
					_, err := reg.SetPassword(ctx, supName, hash(t, pass))
					return err
				}},
				{"disable and enable", func() error {
					if _, err := reg.SetDisabled(ctx, supName, true); err != nil {
						return err
					}
					_, err := reg.SetDisabled(ctx, supName, false)
					return err
				}},
			} {
				advance(61 * time.Second)
				if code, _ := newGuessBrowser(t, ts.URL, "127.0.0.1").login(supName, pass); code != http.StatusSeeOther {
					t.Fatalf("before %s, a minute after the guesses, a new browser: %d, want 303", st.what, code)
				}
				if code, _ := sup.login(supName, pass); code != http.StatusSeeOther { // a fresh device cookie
					t.Fatalf("before %s: login %d", st.what, code)
				}
				attack()
				if code, _ := sup.login(supName, pass); code != http.StatusSeeOther {
					t.Fatalf("before %s, the supervisor's own browser during the attack: %d, want 303", st.what, code)
				}
				if err := st.run(); err != nil {
					t.Fatal(err)
				}
				if code, _ := sup.login(supName, pass); code != http.StatusTooManyRequests {
					t.Fatalf("after %s, the supervisor's browser (its cookie from before) during the attack: %d, want 429", st.what, code)
				}
			}
			advance(61 * time.Second)
			if code, _ := newGuessBrowser(t, ts.URL, "127.0.0.1").login(supName, pass); code != http.StatusSeeOther {
				t.Fatalf("a minute after the last guesses, a new browser: %d, want 303", code)
			}
		})
	}
}

// TestLoginLimitAttemptsAtOnce: guesses sent together are limited as
// guesses sent one after the other. The limits were checked before the
// bcrypt comparison and counted after it, so every guess sent at once
// passed the check (and a botnet's burst passed the account limit). Here
// the comparison is held until every attempt has either reached it or
// been refused: only the limit per address and name (10) reach it.
func TestLoginLimitAttemptsAtOnce(t *testing.T) {
	e := newEnv(t)
	entered, hold := make(chan struct{}), make(chan struct{})
	restore := hubweb.SetCompareHash(func(hash, pw []byte) error {
		entered <- struct{}{}
		<-hold
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	defer restore()
	const n = 15
	codes := make(chan int, n)
	checked := 0
	for i := range n {
		b := newGuessBrowser(t, e.ts.URL, "127.0.0.1")
		res, err := b.hc.Get(e.ts.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csrf := string(csrfField.FindSubmatch(body)[1])
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, err := b.hc.PostForm(e.ts.URL+"/login", url.Values{"csrf": {csrf}, "user": {supName}, "password": {fmt.Sprint("guess", i)}})
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
	if checked != 10 || got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != n-10 {
		t.Fatalf("%d attempts at once: %d checked, answers %v; want 10 checked (401), %d refused (429)", n, checked, got, n-10)
	}
}
