package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// clock is an injectable clock tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// chanFeed is a Feed over channels the test writes to. Ending a
// subscription removes it, as the pipeline does.
type chanFeed struct {
	mu    sync.Mutex
	subs  map[int]chan mark.Record
	total int // subscriptions ever made
}

func (f *chanFeed) Subscribe() (<-chan mark.Record, func()) {
	ch := make(chan mark.Record, 8)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[int]chan mark.Record{}
	}
	f.total++
	id := f.total
	f.subs[id] = ch
	return ch, func() { f.mu.Lock(); delete(f.subs, id); f.mu.Unlock() }
}

// publish gives r to every live subscriber and returns how many there are.
func (f *chanFeed) publish(r mark.Record) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- r:
		default: // a slow reader misses records; the pipeline never waits
		}
	}
	return len(f.subs)
}

// subscriptions is how many subscriptions were ever made.
func (f *chanFeed) subscriptions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

type env struct {
	t       *testing.T
	db      *store.DB
	srv     *Server
	ts      *httptest.Server
	clock   *clock
	feed    *chanFeed
	opMu    sync.Mutex
	opNames []string
}

const (
	supName, supPass = "sveta", "supervisor-pw"
	opName, opPass   = "ivan", "operator-pw"
)

// newEnv starts the web pages in front of a tiny API on a real store.
func newEnv(t *testing.T, tweak func(*Options)) *env {
	t.Helper()
	return newEnvAPI(t, tweak, nil)
}

// newEnvAPI is newEnv in front of the API api makes (nil: the tiny one).
func newEnvAPI(t *testing.T, tweak func(*Options), api func(*env) http.Handler) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}, feed: &chanFeed{}}
	db := storetest.Open(t, store.Options{Now: e.clock.Now})
	e.db = db
	for _, u := range []struct {
		n, p string
		r    store.Role
	}{{supName, supPass, store.RoleSupervisor}, {opName, opPass, store.RoleOperator}} {
		if err := db.AddUser(ctx, u.n, u.r, u.p); err != nil {
			t.Fatal(err)
		}
	}
	loc, _ := time.LoadLocation("Europe/Moscow")
	opt := Options{
		Store: db, SessionTTL: time.Hour, LoginLimit: 3, Location: loc, Now: e.clock.Now, Feed: e.feed,
		Health: func() []mark.SourceHealth {
			return []mark.SourceHealth{{Name: "stdin", Kind: "stdin", Up: true}, {Name: "cam", Kind: "camera", Up: false, Detail: "unplugged"}}
		},
		SetOperator: func(n string) { e.opMu.Lock(); e.opNames = append(e.opNames, n); e.opMu.Unlock() },
		Public:      []string{"/healthz"},
	}
	if tweak != nil {
		tweak(&opt)
	}
	var err error
	if e.srv, err = New(opt); err != nil {
		t.Fatal(err)
	}
	if api != nil {
		e.ts = httptest.NewServer(e.srv.Handler(api(e)))
		t.Cleanup(e.ts.Close)
		return e
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"ok":true}`) })
	mux.HandleFunc("/api/scans", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api "+r.Method) })
	e.ts = httptest.NewServer(e.srv.Handler(mux))
	t.Cleanup(e.ts.Close)
	return e
}

// client is one browser: a cookie jar and no automatic redirects.
type client struct {
	e    *env
	hc   *http.Client
	csrf string // the session's token, read from the last page
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request as a browser would (Accept: text/html) and returns
// the status and body; it remembers the page's CSRF token.
func (c *client) do(method, path string, form url.Values, hdr map[string]string) (int, string, http.Header) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return res.StatusCode, string(b), res.Header
}

func (c *client) get(path string) (int, string) {
	code, body, _ := c.do("GET", path, nil, nil)
	return code, body
}

func (c *client) post(path string, form url.Values) (int, string) {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	code, body, _ := c.do("POST", path, form, nil)
	return code, body
}

// login logs in through the form and fails the test on a refusal.
func (c *client) login(name, pass string) {
	c.e.t.Helper()
	if code := c.tryLogin(name, pass); code != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: status %d", name, code)
	}
	c.get("/") // load a page to learn the session's CSRF token
}

func (c *client) tryLogin(name, pass string) int {
	c.get("/login")
	code, _ := c.post("/login", url.Values{"user": {name}, "password": {pass}})
	return code
}

// insert records a scan through the store's one write path (Save), as the
// pipeline does; reuse is applied there.
func (e *env) insert(r mark.Record) {
	e.t.Helper()
	if err := e.db.Save(context.Background(), &r, 10*time.Minute); err != nil {
		e.t.Fatalf("save %s: %v", r.ID, err)
	}
}

func testMark(serial uint64) *mark.Mark {
	return &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: serial, Contract: 1004417, MailClass: 2,
		WeightG: 20, TariffKop: 5000, Office: 426000, Issued: 9820, ValidUntil: 9910, Tracking: 42600000000015}
}

// rejected inserts a rejected record and returns its id.
func (e *env) rejected(id string, serial uint64, reasons ...mark.Reason) string {
	e.insert(mark.Record{ID: id, At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:" + id, Verdict: mark.Reject, Reasons: reasons, Mark: testMark(serial)})
	return id
}
