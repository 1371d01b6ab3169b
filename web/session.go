package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"time"

	"markd/store"
)

// session is one logged-in browser. Sessions live in memory: a restart of
// the daemon logs everyone out, which on a counter PC is what people expect
// after a reboot, and it keeps session churn off the durable store.
type session struct {
	User    string
	Role    store.Role
	CSRF    string // token every form and fetch POST must carry
	Expires time.Time
	// Epoch is the account's store.User.Epoch at login: when the account's
	// epoch in the store differs (markd user passwd|disable|remove, run as
	// another process), the session has ended.
	Epoch string
	// done is closed when the session ends (logout, idle expiry, the
	// account changed): the requests and live streams of the session end
	// with it.
	done chan struct{}
}

// sessions maps the SHA-256 of a session token to its session, so a heap
// dump or a timing side channel does not give away live tokens.
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	ttl time.Duration
	now func() time.Time
	// expired is told the user of a session that ended by idle expiry when
	// they have no other session left (nil: nothing to tell).
	expired func(user string)
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, ttl: ttl, now: now}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the kernel RNG does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// create starts a session of account u and returns its cookie token.
func (s *sessions) create(u store.User) (string, *session) {
	token := randomToken()
	sess := &session{User: u.Name, Role: u.Role, Epoch: u.Epoch, CSRF: randomToken(),
		Expires: s.now().Add(s.ttl), done: make(chan struct{})}
	s.mu.Lock()
	var gone []string
	now := s.now()
	for k, v := range s.m { // drop expired ones; there are a handful per counter
		if now.After(v.Expires) {
			s.remove(k)
			gone = append(gone, v.User)
		}
	}
	s.m[tokenKey(token)] = sess
	s.mu.Unlock()
	s.tellExpired(gone...)
	return token, sess
}

// tellExpired tells s.expired of the users among users that have no
// session left.
func (s *sessions) tellExpired(users ...string) {
	if s.expired == nil {
		return
	}
	for _, u := range users {
		s.mu.Lock()
		left := false
		for _, v := range s.m {
			left = left || v.User == u
		}
		s.mu.Unlock()
		if !left {
			s.expired(u)
		}
	}
}

// remove ends the session under key k; s.mu is held.
func (s *sessions) remove(k string) {
	if sess, ok := s.m[k]; ok {
		close(sess.done)
		delete(s.m, k)
	}
}

// get returns the live session of token and extends it (idle timeout).
func (s *sessions) get(token string) (session, bool) {
	if token == "" {
		return session{}, false
	}
	s.mu.Lock()
	k := tokenKey(token)
	sess, ok := s.m[k]
	if !ok {
		s.mu.Unlock()
		return session{}, false
	}
	now := s.now()
	if now.After(sess.Expires) {
		s.remove(k)
		s.mu.Unlock()
		s.tellExpired(sess.User)
		return session{}, false
	}
	sess.Expires = now.Add(s.ttl)
	out := *sess
	s.mu.Unlock()
	return out, true
}

// endUser ends every session of user (all browsers, all their streams)
// and returns how many there were.
func (s *sessions) endUser(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.m {
		if v.User == user {
			s.remove(k)
			n++
		}
	}
	return n
}

// equalToken compares two tokens in constant time; empty never matches.
func equalToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// limiter counts failed logins per address and user name in a sliding
// window of one minute; at limit failures further attempts are refused
// until the oldest failure leaves the window.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newLimiter(limit int, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: time.Minute, now: now, fails: map[string][]time.Time{}}
}

func (l *limiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.window)
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = ts
	}
	return ts
}

// allow reports whether key may try to log in now, and if not, how long
// until it may.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(key)
	if len(ts) < l.limit {
		return true, 0
	}
	return false, ts[0].Add(l.window).Sub(l.now())
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key), l.now())
	if len(l.fails) > 10000 { // bound memory under a spray of names
		for k := range l.fails {
			l.recent(k)
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
