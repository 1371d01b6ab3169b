package hubweb_test

import (
	"io"
	"log/slog"
	"markd/internal/syncbuf"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub/hubweb"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loginAs posts the login form of a fresh browser and returns the status
// and the page without its per-form token.
func loginAs(t *testing.T, e *env, name, password string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(e.ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("login page without a form token: %s", body)
	}
	res, err = hc.PostForm(e.ts.URL+"/login", url.Values{"csrf": {string(m[1])}, "user": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ = io.ReadAll(res.Body)
	page := csrfField.ReplaceAllString(string(body), "")
	return res.StatusCode, strings.ReplaceAll(page, name, "NAME")
}

// TestLoginSameForUnknownName: a wrong password and a name that is no
// account's get the same answer after the same work (one bcrypt
// comparison at the cost accounts are made with), so neither the page nor
// its time tells a prober on the LAN which names exist.
func TestLoginSameForUnknownName(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var costs []int
	restore := hubweb.SetCompareHash(func(hash, pw []byte) error {
		c, _ := bcrypt.Cost(hash)
		mu.Lock()
		costs = append(costs, c)
		mu.Unlock()
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	defer restore()
	take := func() []int {
		mu.Lock()
		defer mu.Unlock()
		out := costs
		costs = nil
		return out
	}

	wrongCode, wrongPage := loginAs(t, e, supName, "not the password")
	if got := take(); len(got) != 1 {
		t.Fatalf("wrong password: %d comparisons, want 1", len(got))
	}
	unknownCode, unknownPage := loginAs(t, e, "no-such-user", "not the password")
	got := take()
	if len(got) != 1 || got[0] < bcrypt.DefaultCost {
		t.Fatalf("unknown name: comparisons at costs %v, want one at %d or more (as markhub user add makes)", got, bcrypt.DefaultCost)
	}
	if wrongCode != http.StatusUnauthorized || unknownCode != wrongCode {
		t.Fatalf("status: wrong password %d, unknown name %d; want 401 both", wrongCode, unknownCode)
	}
	if unknownPage != wrongPage {
		t.Fatalf("the pages differ:\n%s\n---\n%s", wrongPage, unknownPage)
	}
}

// TestLoginSprayOfNamesLimited: one address trying a password against
// many names is slowed as one trying many passwords against one name; the
// limit per address and name alone let it go on for ever.
func TestLoginSprayOfNamesLimited(t *testing.T) {
	e := newEnv(t)
	for i := range hubweb.AddrLoginLimit {
		if code, _ := loginAs(t, e, "name-"+strconv.Itoa(i), "Winter2026!"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, code)
		}
	}
	code, page := loginAs(t, e, supName, supPass)
	if code != http.StatusTooManyRequests || !strings.Contains(page, "Too many attempts") {
		t.Fatalf("after %d failed names from one address: %d, want 429 Too many attempts", hubweb.AddrLoginLimit, code)
	}
}

// TestLoginUnknownNameNotLogged: a name that is no account's may be a
// password typed into the name field; it is not written to the log.
func TestLoginUnknownNameNotLogged(t *testing.T) {
	e := newEnv(t)
	var buf syncbuf.Buffer
	pages, err := hubweb.New(hubweb.Options{Store: e.store, Log: slog.New(slog.NewTextHandler(&buf, nil)),
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(pages.Handler())
	defer ts.Close()
	e2 := &env{ts: ts, store: e.store, now: e.now}
	if code, _ := loginAs(t, e2, "Secret-Pa55word", "x"); code != http.StatusUnauthorized {
		t.Fatalf("unknown name: %d, want 401", code)
	}
	if code, _ := loginAs(t, e2, supName, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", code)
	}
	log := buf.String()
	if strings.Contains(log, "Secret-Pa55word") {
		t.Fatalf("the log has the unknown name typed at the login:\n%s", log)
	}
	if !strings.Contains(log, "regional login failed") || !strings.Contains(log, supName) {
		t.Fatalf("the log lacks the failed login of the account %s:\n%s", supName, log)
	}
}
