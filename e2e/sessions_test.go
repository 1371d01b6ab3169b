package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is one HTTP client with its own cookies, as a browser would be.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get returns the status and body of a GET with the given Accept.
func (b *browser) get(path, accept string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept", accept)
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, string(body)
}

// post sends a form with the CSRF token of the page at from.
func (b *browser) post(from, path string, form url.Values) int {
	b.t.Helper()
	_, page := b.get(from, "text/html")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("%s has no form token:\n%s", from, page)
	}
	form.Set("csrf", m[1])
	res, err := b.hc.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// login logs in through the form and returns the status (303 = in).
func (b *browser) login(user, pass string) int {
	b.t.Helper()
	return b.post("/login", "/login", url.Values{"user": {user}, "password": {pass}})
}

// eventStream is a real server-sent events client on one GET.
type eventStream struct {
	path  string
	ended chan struct{}
	at    time.Time // when the server ended it
	last  string    // last event name, read after ended
}

// stream opens path as an event stream and returns once its first bytes came.
func (b *browser) stream(path string) *eventStream {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", b.base+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		b.t.Fatalf("GET %s: %d, want 200", path, res.StatusCode)
	}
	s := &eventStream{path: path, ended: make(chan struct{})}
	first := make(chan struct{}, 1)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			select {
			case first <- struct{}{}:
			default:
			}
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				s.last = name
			}
		}
		s.at = time.Now()
		close(s.ended)
		select {
		case first <- struct{}{}:
		default:
		}
	}()
	<-first
	return s
}

// waitEnded fails unless the daemon ends the stream (a guard of 30 s
// against hanging, not a speed check) and returns how long after since.
func (s *eventStream) waitEnded(t *testing.T, why string, since time.Time) time.Duration {
	t.Helper()
	select {
	case <-s.ended:
		return s.at.Sub(since)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the stream %s is still open", why, s.path)
		return 0
	}
}

func (s *eventStream) isOpen() bool {
	select {
	case <-s.ended:
		return false
	case <-time.After(500 * time.Millisecond):
		return true
	}
}

// TestSessionsEndAcrossProcesses runs `markd run` and changes the operator's
// account with `markd user passwd|disable|enable|remove` as separate
// processes on the same store: each change ends the operator's open
// /events and /operator/live streams in every browser and their sessions,
// while the supervisor's stream stays. Logging out in one browser ends the
// other's streams too. Also on the real daemon: a supervisor opening the
// operator screen does not become the operator of the next scan, and an
// operator's /api/scans is refused the review filters.
func TestSessionsEndAcrossProcesses(t *testing.T) {
	const (
		op, opPass   = "ivan", "operator-pass"
		sup, supPass = "sveta", "supervisor-pass"
	)
	cfg := writeConfig(t, "http:\n  listen: \"127.0.0.1:0\"\n")
	d := startDaemonConfig(t, cfg, map[string][2]string{op: {"operator", opPass}, sup: {"supervisor", supPass}})
	ivan, ivan2, sveta := newBrowser(t, d.URL), newBrowser(t, d.URL), newBrowser(t, d.URL)
	for _, l := range []struct {
		b          *browser
		name, pass string
	}{{ivan, op, opPass}, {ivan2, op, opPass}, {sveta, sup, supPass}} {
		if code := l.b.login(l.name, l.pass); code != http.StatusSeeOther {
			t.Fatalf("login %s: %d", l.name, code)
		}
	}

	// The supervisor looks at the operator screen; the next scan is still
	// the operator's.
	if code, _ := sveta.get("/", "text/html"); code != http.StatusOK {
		t.Fatalf("supervisor opens /: %d", code)
	}
	d.scan(t, vector(t, "tracking barcode"))
	d.waitOutput(t, `"NOT_A_MARK"`)
	_, body := sveta.get("/api/scans?order=desc&limit=1", "application/json")
	var page struct {
		Scans []struct{ Operator string }
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Scans) != 1 {
		t.Fatalf("GET /api/scans as supervisor: %v %s", err, body)
	}
	if page.Scans[0].Operator != op {
		t.Fatalf("the scan after the supervisor opened / is %q's, want %q's", page.Scans[0].Operator, op)
	}
	if code, body := ivan.get("/api/scans?verdict=REJECT", "application/json"); code != http.StatusForbidden || !strings.Contains(body, "supervisor") {
		t.Fatalf("operator's /api/scans?verdict=REJECT: %d %s, want 403 for supervisors", code, body)
	}
	if code, _ := ivan.get("/api/scans", "application/json"); code != http.StatusOK {
		t.Fatalf("operator's /api/scans: %d", code)
	}
	supLive := sveta.stream("/operator/live")

	steps := []struct {
		what     string
		setup    func() // before the streams open
		end      func() // ends the operator's sessions
		password string // the operator's password afterwards ("" = cannot log in)
	}{
		{"markd user passwd", nil, func() { runCLI(t, "new-operator-pass\n", "user", "passwd", op, "--config", cfg) }, "new-operator-pass"},
		{"logout in another browser", nil, func() {
			if code := ivan2.post("/", "/logout", url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("logout: %d", code)
			}
		}, "new-operator-pass"},
		{"markd user disable", nil, func() { runCLI(t, "", "user", "disable", op, "--config", cfg) }, ""},
		{"markd user remove", func() {
			runCLI(t, "", "user", "enable", op, "--config", cfg)
			for _, b := range []*browser{ivan, ivan2} {
				if code := b.login(op, "new-operator-pass"); code != http.StatusSeeOther {
					t.Fatalf("login after markd user enable: %d", code)
				}
			}
		}, func() { runCLI(t, "", "user", "remove", op, "--config", cfg) }, ""},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		streams := []*eventStream{ivan.stream("/events"), ivan.stream("/operator/live"), ivan2.stream("/operator/live")}
		start := time.Now()
		st.end()
		for _, s := range streams {
			took := s.waitEnded(t, st.what, start)
			t.Logf("%s: %s ended %v after the command started", st.what, s.path, took.Round(time.Millisecond))
		}
		if streams[1].last != "ended" {
			t.Errorf("%s: /operator/live's last event %q, want \"ended\"", st.what, streams[1].last)
		}
		for _, b := range []*browser{ivan, ivan2} {
			if code, _ := b.get("/api/scans", "application/json"); code != http.StatusUnauthorized {
				t.Errorf("%s: the operator's old session reads /api/scans: %d, want 401", st.what, code)
			}
		}
		if !supLive.isOpen() {
			t.Fatalf("%s ended the supervisor's stream", st.what)
		}
		if st.password == "" {
			if code := ivan.login(op, "new-operator-pass"); code == http.StatusSeeOther {
				t.Fatalf("after %s the operator logs in", st.what)
			}
			continue
		}
		for _, b := range []*browser{ivan, ivan2} {
			if code := b.login(op, st.password); code != http.StatusSeeOther {
				t.Fatalf("after %s, login with %q: %d", st.what, st.password, code)
			}
		}
	}
	if code, _ := sveta.get("/review", "text/html"); code != http.StatusOK {
		t.Fatalf("the supervisor's session after all that: %d", code)
	}
}
