package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"markd/internal/loginlimit"
	"markd/store"
)

// session is one logged-in browser. Sessions live in memory: a restart of
// the daemon logs everyone out, which on a counter PC is what people expect
// after a reboot, and it keeps session churn off the durable store.
type session struct {
	User    string
	Role    store.Role
	CSRF    string    // token every form and fetch POST must carry
	Expires time.Time // idle expiry, moved on by each request
	Started time.Time // the login: the session ends Options.SessionLifetime after it
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
	mu       sync.Mutex
	m        map[string]*session
	ttl      time.Duration // idle
	lifetime time.Duration // since the login, however much it is used
	now      func() time.Time
	gone     map[string]goneSession // why sessions lately ended, by the same key
	// expired is told the user of a session that ended by idle expiry when
	// they have no other session left (nil: nothing to tell).
	expired func(user string)
}

func newSessions(ttl, lifetime time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, gone: map[string]goneSession{}, ttl: ttl, lifetime: lifetime, now: now}
}

// Why a session cookie no longer logs in. The login page and the API's
// refusal say which (the reason in the login page's query, reasonOf).
var (
	errNoSession       = errors.New("no such session") // logged out, or the daemon restarted
	errSessionIdle     = errors.New("session unused too long")
	errSessionLifetime = errors.New("session past its lifetime")
)

// over reports why sess has ended at now (idle or past its lifetime),
// or nil while it lasts.
func (s *sessions) over(sess *session, now time.Time) error {
	if !now.Before(sess.Started.Add(s.lifetime)) {
		return errSessionLifetime
	}
	if now.After(sess.Expires) {
		return errSessionIdle
	}
	return nil
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
	now := s.now()
	sess := &session{User: u.Name, Role: u.Role, Epoch: u.Epoch, CSRF: randomToken(),
		Expires: now.Add(s.ttl), Started: now, done: make(chan struct{})}
	s.mu.Lock()
	var gone []string
	for k, v := range s.m { // drop ended ones; there are a handful per counter
		if why := s.over(v, now); why != nil {
			s.remove(k, why)
			gone = append(gone, v.User)
		}
	}
	s.endOldest(u.Name, MaxSessionsPerUser-1)
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

// remove ends the session under key k for why; s.mu is held. Why is
// kept a while (gone), so the next request with its cookie is told it.
func (s *sessions) remove(k string, why error) {
	sess, ok := s.m[k]
	if !ok {
		return
	}
	close(sess.done)
	delete(s.m, k)
	now := s.now()
	if len(s.gone) >= maxGone {
		for gk, g := range s.gone {
			if now.Sub(g.at) > goneFor || len(s.gone) >= maxGone {
				delete(s.gone, gk)
			}
		}
	}
	s.gone[k] = goneSession{why: why, at: now}
}

// A session's end is told to its cookie for goneFor after it, and at
// most maxGone ends are kept (then the oldest are forgotten, and such a
// cookie is told only that its session ended).
const (
	goneFor = 24 * time.Hour
	maxGone = 1000
)

// goneSession is why a session ended, and when.
type goneSession struct {
	why error
	at  time.Time
}

// get returns the live session of token and extends it (idle timeout).
func (s *sessions) get(token string) (session, bool) {
	sess, err := s.lookup(token)
	return sess, err == nil
}

// lookup returns the live session of token and extends it (idle
// timeout), or why there is none: errNoSession, errSessionIdle or
// errSessionLifetime (the session is ended then).
func (s *sessions) lookup(token string) (session, error) {
	if token == "" {
		return session{}, errNoSession
	}
	s.mu.Lock()
	k := tokenKey(token)
	sess, ok := s.m[k]
	if !ok {
		g, ok := s.gone[k]
		s.mu.Unlock()
		if ok && s.now().Sub(g.at) <= goneFor {
			return session{}, g.why
		}
		return session{}, errNoSession
	}
	now := s.now()
	if err := s.over(sess, now); err != nil {
		s.remove(k, err)
		s.mu.Unlock()
		s.tellExpired(sess.User)
		return session{}, err
	}
	sess.Expires = now.Add(s.ttl)
	out := *sess
	s.mu.Unlock()
	return out, nil
}

// endOne ends the session of sess (its done channel) for why when it is
// still there; it tells s.expired as an expiry would.
func (s *sessions) endOne(sess session, why error) {
	s.mu.Lock()
	found := false
	for k, v := range s.m {
		if v.done == sess.done {
			s.remove(k, why)
			found = true
			break
		}
	}
	s.mu.Unlock()
	if found {
		s.tellExpired(sess.User)
	}
}

// endUser ends every session of user (all browsers, all their streams)
// for why and returns how many there were.
func (s *sessions) endUser(user string, why error) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.m {
		if v.User == user {
			s.remove(k, why)
			n++
		}
	}
	return n
}

// equalToken compares two tokens in constant time; empty never matches.
func equalToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// limiter counts failed logins per key (an address and user name, an
// address, a user name, a device) in a sliding window of one minute
// (internal/loginlimit), limit failures a window each.
type limiter struct {
	*loginlimit.Fails
	limit int
}

func newLimiter(limit int, now func() time.Time) *limiter {
	return &limiter{Fails: loginlimit.New(now), limit: limit}
}

// allow reports whether key may try to log in now, and if not, how long
// until it may (loginlimit.Fails.Allow).
func (l *limiter) allow(key string) (bool, time.Duration) { return l.Allow(key, l.limit) }

// take is allow and a failure at once (loginlimit.Fails.Take).
func (l *limiter) take(key string) (ok bool, wait time.Duration, at time.Time) {
	return l.Take(key, l.limit)
}

// limitStep is one limit a login attempt counts against: the key in l,
// and when take counted it.
type limitStep struct {
	l   *limiter
	key string
	at  time.Time
}

// takeAll takes an attempt from every step in order (limiter.take). When
// one refuses, the attempts taken before it are given back and the
// answer is the longest wait of it and the steps after it that refuse
// too; refused is the index of the step that refused (-1: none did).
func takeAll(steps []limitStep) (ok bool, wait time.Duration, refused int) {
	for i := range steps {
		ok, w, at := steps[i].l.take(steps[i].key)
		if ok {
			steps[i].at = at
			continue
		}
		for _, done := range steps[:i] {
			done.l.Release(done.key, done.at)
		}
		wait = w
		for _, rest := range steps[i+1:] {
			if ok, w := rest.l.allow(rest.key); !ok {
				wait = max(wait, w)
			}
		}
		return false, wait, i
	}
	return true, 0, -1
}

// MaxSessionsPerUser bounds the sessions of one user: a login past them
// ends the user's oldest (it is told its login ended). A counter has a
// handful; without a bound each login with the right password added one
// until its idle expiry, and each login walks them all.
const MaxSessionsPerUser = 32

// endOldest ends the oldest sessions of user until keep are left; s.mu
// is held.
func (s *sessions) endOldest(user string, keep int) {
	for {
		n, oldest := 0, ""
		for k, v := range s.m {
			if v.User != user {
				continue
			}
			n++
			if oldest == "" || v.Started.Before(s.m[oldest].Started) {
				oldest = k
			}
		}
		if n <= keep {
			return
		}
		s.remove(oldest, fmt.Errorf("more than %d logins of %q: the oldest ended: %w", MaxSessionsPerUser, user, errSessionEnded))
	}
}
