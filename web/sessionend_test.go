package web

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/httpapi"
	"markd/store"
	"markd/store/storetest"
)

// sseStream is a real server-sent events client on one GET: it reads the
// stream line by line until the server ends it.
type sseStream struct {
	path   string
	events chan string   // "event:" names as they come
	ended  chan struct{} // closed when the server ended the body
	mu     sync.Mutex
	data   map[string]string // the last data line of each event name
	cancel context.CancelFunc
}

// stream opens path as an event stream with c's cookies and waits for the
// first bytes, so the stream is live before the test goes on.
func (c *client) stream(path string) *sseStream {
	c.e.t.Helper()
	return c.streamWith(path, nil)
}

// streamWith is stream with more request headers (a program's token).
func (c *client) streamWith(path string, hdr map[string]string) *sseStream {
	c.e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.e.ts.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		c.e.t.Fatalf("GET %s: %d, want 200", path, res.StatusCode)
	}
	s := &sseStream{path: path, events: make(chan string, 100), ended: make(chan struct{}), cancel: cancel, data: map[string]string{}}
	first := make(chan struct{})
	go func() {
		defer res.Body.Close()
		defer close(s.ended)
		sc := bufio.NewScanner(res.Body)
		once := false
		last := ""
		for sc.Scan() {
			if !once {
				once = true
				close(first)
			}
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok && last != "" {
				s.mu.Lock()
				s.data[last] = d
				s.mu.Unlock()
			}
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				last = name
				select {
				case s.events <- name:
				default:
				}
			}
		}
		if !once {
			close(first)
		}
	}()
	<-first
	return s
}

// waitEnded fails the test unless the server ends the stream. The guard is
// against hanging, not a speed check: the bound is measured in the notes.
func (s *sseStream) waitEnded(t *testing.T, why string) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: the stream %s is still open", why, s.path)
	}
}

// open reports whether the stream is still open after a moment in which a
// wrongly ended stream would have closed.
func (s *sseStream) open() bool {
	select {
	case <-s.ended:
		return false
	case <-time.After(300 * time.Millisecond):
		return true
	}
}

// dataOf is the last data line of the events named name ("" = none).
func (s *sseStream) dataOf(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[name]
}

// lastEvent is the last event name the stream got.
func (s *sseStream) lastEvent() string {
	last := ""
	for {
		select {
		case e := <-s.events:
			last = e
		default:
			return last
		}
	}
}

// TestSessionEndClosesStreams: logging out in one browser, and markd user
// passwd|disable|remove from another process (another connection pool on
// the same store file), end the account's live streams (/operator/live of
// the pages, /events of the API) and every session of it; another
// account's stream stays.
func TestSessionEndClosesStreams(t *testing.T) {
	tests := []struct {
		name string
		poll time.Duration // the account poll; 1 h: only this daemon's own end can close the stream
		end  func(e *env, other *store.DB, b *client) error
	}{
		{"logout in the other browser", time.Hour, func(_ *env, _ *store.DB, b *client) error {
			if code, _ := b.post("/logout", nil); code != http.StatusSeeOther {
				return errStatus(code)
			}
			return nil
		}},
		{"markd user passwd", 0, func(_ *env, other *store.DB, _ *client) error {
			return other.SetPassword(context.Background(), opName, "a-new-password")
		}},
		{"markd user disable", 0, func(_ *env, other *store.DB, _ *client) error {
			return other.DisableUser(context.Background(), opName)
		}},
		{"markd user remove", 0, func(_ *env, other *store.DB, _ *client) error {
			return other.RemoveUser(context.Background(), opName)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvAPI(t, func(o *Options) { o.AccountPoll = tc.poll }, func(e *env) http.Handler {
				return httpapi.New(httpapi.Options{Store: e.db, Feed: e.feed, Keepalive: time.Hour}).Handler()
			})
			other := storetest.OpenAt(t, e.db.Path(), store.Options{})
			a, b, sup := e.client(), e.client(), e.client()
			a.login(opName, opPass)
			b.login(opName, opPass)
			sup.login(supName, supPass)
			streams := []*sseStream{a.stream("/operator/live"), a.stream("/events"), b.stream("/operator/live")}
			supLive := sup.stream("/operator/live")

			if err := tc.end(e, other, b); err != nil {
				t.Fatal(err)
			}
			for _, s := range streams {
				s.waitEnded(t, tc.name)
			}
			if got := streams[0].lastEvent(); got != "ended" {
				t.Errorf("/operator/live: last event %q, want \"ended\" (the page goes to the login)", got)
			}
			for _, c := range []*client{a, b} {
				if code, _, _ := c.do("GET", "/operator/recent", nil, map[string]string{"Accept": "application/json"}); code != http.StatusUnauthorized {
					t.Errorf("a session of %s after %s: %d, want 401", opName, tc.name, code)
				}
			}
			if !supLive.open() {
				t.Errorf("%s ended the stream of %s too", tc.name, supName)
			}
			if code, _ := sup.get("/review"); code != http.StatusOK {
				t.Errorf("%s ended the session of %s: %d", tc.name, supName, code)
			}
			e.opMu.Lock()
			names := append([]string(nil), e.opNames...)
			e.opMu.Unlock()
			if len(names) == 0 || names[len(names)-1] != "" {
				t.Errorf("operator of the counter after %s: calls %q, want un-named last", tc.name, names)
			}
		})
	}
}

type errStatus int

func (e errStatus) Error() string { return "status " + http.StatusText(int(e)) }

// TestDisabledLogin: a disabled account is told so (after the right
// password only), and can log in again once enabled.
func TestDisabledLogin(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.db.DisableUser(ctx, opName); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.get("/login")
	code, body := c.post("/login", url.Values{"user": {opName}, "password": {"wrong-password"}})
	if code != http.StatusUnauthorized || strings.Contains(body, "disabled") {
		t.Fatalf("wrong password of a disabled account: %d, says disabled: %v", code, strings.Contains(body, "disabled"))
	}
	c.get("/login")
	code, body = c.post("/login", url.Values{"user": {opName}, "password": {opPass}})
	if code != http.StatusForbidden || !strings.Contains(body, "This account is disabled") {
		t.Fatalf("right password of a disabled account: %d\n%s", code, body)
	}
	if err := e.db.EnableUser(ctx, opName); err != nil {
		t.Fatal(err)
	}
	c.login(opName, opPass)
}

// TestCounterOperator: the counter's operator is the operator-role user
// logged in; a supervisor who opens the operator screen does not become the
// operator of the next scans.
func TestCounterOperator(t *testing.T) {
	e := newEnv(t, nil)
	current := func() string {
		e.opMu.Lock()
		defer e.opMu.Unlock()
		if len(e.opNames) == 0 {
			return ""
		}
		return e.opNames[len(e.opNames)-1]
	}
	op, sup := e.client(), e.client()
	steps := []struct {
		what string
		do   func()
		want string
	}{
		{"operator logs in", func() { op.login(opName, opPass) }, opName},
		{"supervisor logs in and opens the operator screen", func() { sup.login(supName, supPass); sup.get("/") }, opName},
		{"supervisor logs out", func() { sup.post("/logout", nil) }, opName},
		{"operator logs out", func() { op.post("/logout", nil) }, ""},
		{"supervisor opens the operator screen alone", func() { sup.login(supName, supPass); sup.get("/") }, ""},
		{"operator logs in again", func() { op.login(opName, opPass) }, opName},
	}
	for _, st := range steps {
		st.do()
		if got := current(); got != st.want {
			t.Fatalf("%s: operator of the counter %q, want %q", st.what, got, st.want)
		}
	}
}

// TestRemovedTokenEndsEventStream: markd token remove (another process on
// the store) ends the /events stream a program opened with that token, as
// a changed account ends a session's; a stream of another token stays.
func TestRemovedTokenEndsEventStream(t *testing.T) {
	e := newEnvAPI(t, nil, func(e *env) http.Handler {
		return httpapi.New(httpapi.Options{Store: e.db, Feed: e.feed, Keepalive: time.Hour}).Handler()
	})
	ctx := context.Background()
	gone, err := e.db.AddToken(ctx, "old-till")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := e.db.AddToken(ctx, "kassa")
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	goneStream := c.streamWith("/events", map[string]string{"Authorization": "Bearer " + gone})
	keptStream := c.streamWith("/events", map[string]string{"Authorization": "Bearer " + kept})
	other := storetest.OpenAt(t, e.db.Path(), store.Options{})
	if err := other.RemoveToken(ctx, "old-till"); err != nil {
		t.Fatal(err)
	}
	goneStream.waitEnded(t, "markd token remove")
	if !keptStream.open() {
		t.Fatal("removing one token ended the stream of another")
	}
}
