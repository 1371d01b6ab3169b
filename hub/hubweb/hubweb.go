// Package hubweb is the regional web pages of the collector markhub: the
// fleet of terminals, cross-office reuse alerts with their workflow, and
// lookup of a mark's scans anywhere. It looks like the counter's pages
// (their stylesheet, RU/EN, login with a session cookie and a CSRF token
// in every form) but keeps sessions in the collector's database, so any
// markhub instance serves any browser.
package hubweb

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub"
	"markd/internal/httperr"
	"markd/internal/webtext"
	"markd/mark"
	"markd/web"
)

//go:embed templates/*.html
var templateFS embed.FS

const (
	sessionCookie = "markhub_session"
	loginCookie   = "markhub_login_csrf"
	langCookie    = "markhub_lang"
)

// Freshness bounds of the fleet page: a terminal not heard from for Stale
// is shown amber, for HardStale red (the Prometheus rule "counter silent"
// fires at 4 h too).
const (
	Stale     = hub.StaleAfter
	HardStale = hub.HardStaleAfter
	// SkewWarn is the clock skew the fleet page marks.
	SkewWarn = 2 * time.Minute
)

// Options configure the pages.
type Options struct {
	Store hub.Regional
	Log   *slog.Logger
	Now   func() time.Time // default time.Now
	TLS   bool             // cookies Secure
	// Location is the time zone times are shown in; default UTC.
	Location *time.Location
	// FleetPageSize is how many terminals a fleet page shows; default
	// hub.FleetPageSize.
	FleetPageSize int
	// SessionLifetime is the longest a login lasts, however much it is
	// used (a fleet page left open and reloaded); default
	// hub.DefaultSessionLifetime.
	SessionLifetime time.Duration
	// SessionTTL ends a login unused this long; default
	// hub.DefaultSessionTTL.
	SessionTTL time.Duration
	// AccountLoginLimit is the failed logins a minute of one user name
	// over all addresses from browsers without its device cookie (and of
	// each device cookie); default hub.DefaultLoginAccountLimit. Counted
	// in memory, per instance, as the other limits.
	AccountLoginLimit int
}

// Server serves the regional pages.
type Server struct {
	opt   Options
	pages map[string]*template.Template
	mux   *http.ServeMux
	// patterns is every route of mux.
	patterns []string

	mu    sync.Mutex
	fails map[string][]time.Time // failed logins per limit key (loginPost) in the last minute
	told  map[string]time.Time   // when a refusal of a key was last logged (tellOnce)
}

// New builds the pages.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, fmt.Errorf("hubweb: no store: %w", mark.ErrInvalid)
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.FleetPageSize <= 0 {
		opt.FleetPageSize = hub.FleetPageSize
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.SessionLifetime <= 0 {
		opt.SessionLifetime = hub.DefaultSessionLifetime
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = hub.DefaultSessionTTL
	}
	if opt.AccountLoginLimit <= 0 {
		opt.AccountLoginLimit = hub.DefaultLoginAccountLimit
	}
	s := &Server{opt: opt, pages: map[string]*template.Template{}, mux: http.NewServeMux(),
		fails: map[string][]time.Time{}, told: map[string]time.Time{}}
	funcs := template.FuncMap{"when": s.when, "skew": skewText, "office": officeText, "rub": kopText,
		"sum3":  func(a, b, c int64) int64 { return a + b + c },
		"share": shareText, "inc": func(i int) int { return i + 1 }, "codes": disputeCodes}
	for _, name := range []string{"login.html", "fleet.html", "alerts.html", "lookup.html", "unverified.html", "refused.html", "offices.html", "rejects.html", "error.html"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("hubweb: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	s.handle("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		http.ServeFileFS(w, r, web.Static(), "app.css")
	})
	s.handle("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s.renderLogin(w, r, http.StatusOK, "", "", s.endedFlash(r.URL.Query().Get("ended")))
	})
	s.handle("POST /login", s.loginPost)
	s.handle("GET /lang", s.setLang)
	s.handle("POST /logout", s.auth(s.logout))
	s.handle("GET /{$}", s.auth(s.fleet))
	s.handle("GET /alerts", s.auth(s.alerts))
	s.handle("POST /alerts/{id}", s.auth(s.alertPost))
	s.handle("GET /disputed.csv", s.auth(s.disputedCSV))
	s.handle("POST /disputed", s.auth(s.disputePost))
	s.handle("GET /lookup", s.auth(s.lookup))
	s.handle("GET /unverified", s.auth(s.unverified))
	s.handle("GET /refused", s.auth(s.refused))
	s.handle("GET /offices", s.auth(s.officeDays))
	s.handle("GET /offices.csv", s.auth(s.officeCSV))
	s.handle("GET /rejects", s.auth(s.rejects))
	s.handle("GET /rejects.csv", s.auth(s.rejectsCSV))
	// A path no other route takes: the error page, not the router's
	// plain-text 404 (markhub serve sends the API's paths elsewhere).
	// Without a login: the browser's own reads (/favicon.ico) must not
	// render the login page, whose new form token would void the one
	// the person is filling in.
	s.handle("GET /", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, hub.WebSession{}, fmt.Errorf("%s: no such page: %w", r.URL.Path, mark.ErrNotFound))
	})
	return s, nil
}

// handle adds a route and keeps its pattern for the tests that walk them.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// Handler is the pages' handler; markhub serve mounts it beside the API.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY") // for browsers that do not read frame-ancestors
		h.Set("Referrer-Policy", "same-origin")
		if s.opt.TLS {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		s.mux.ServeHTTP(w, r)
	})
}

// HashPassword is the stored form of a regional account's password
// (bcrypt); it refuses one shorter than 10 or longer than 72 bytes.
func HashPassword(pw string, cost int) (string, error) {
	if len(pw) < 10 || len(pw) > 72 {
		return "", fmt.Errorf("password: use 10 to 72 bytes: %w", mark.ErrInvalid)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func equalToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode})
}

// page is what every template gets.
type page struct {
	Lang, Here, User, CSRF string
	Next                   string // where the language buttons come back to: this page with its query
	TitleRU, TitleEN       string
	Error, Flash           string
	Data                   any
}

func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "ru"
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p *page) {
	p.Lang, p.Here, p.Next = lang(r), r.URL.Path, r.URL.RequestURI()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := s.pages[name].Execute(w, p); err != nil {
		s.opt.Log.Error("render", "page", name, "err", err)
	}
}

// fail shows err on the error page with the status of its sentinel.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess hub.WebSession, err error) {
	code := httperr.Status(err)
	if code >= 500 {
		s.opt.Log.Error("regional page", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, code, "error.html", &page{TitleRU: "Ошибка", TitleEN: "Error", User: sess.User, CSRF: sess.CSRF,
		Error: fmt.Sprintf("%d %s: %v", code, http.StatusText(code), err)})
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("set")
	if l != "ru" && l != "en" {
		s.fail(w, r, hub.WebSession{}, fmt.Errorf("language %q: must be ru or en: %w", l, mark.ErrInvalid))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// safeNext keeps a redirect on this site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\t\r\n") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// auth runs next with the session of the request, or sends the browser
// to the login page; a POST must carry the session's CSRF token.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, hub.WebSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie(sessionCookie)
		var sess hub.WebSession
		var err error = mark.ErrNotFound
		ended := c != nil && c.Value != "" // a cookie that no longer logs in
		if ended {
			now := s.opt.Now()
			sess, err = s.opt.Store.GetSession(r.Context(), tokenHash(c.Value), now, now.Add(s.opt.SessionTTL), now.Add(-s.opt.SessionLifetime))
		}
		if errors.Is(err, mark.ErrNotFound) {
			reason := ""
			if ended {
				reason = endedReason(err)
			}
			if r.Method != http.MethodGet {
				msg := "not logged in"
				if _, en := s.endedText(reason); en != "" {
					msg = strings.TrimSuffix(en, " Log in again.") + "; log in again"
				}
				s.fail(w, r, hub.WebSession{}, fmt.Errorf("%s: %w", msg, mark.ErrUnauthorized))
				return
			}
			q := "/login?"
			if reason != "" {
				q += "ended=" + reason + "&"
			}
			http.Redirect(w, r, q+"next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, hub.WebSession{}, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if !equalToken(r.PostFormValue("csrf"), sess.CSRF) || !originOK(r) {
				s.fail(w, r, sess, fmt.Errorf("the form expired or came from another site; reload the page: %w", mark.ErrForbidden))
				return
			}
		}
		next(w, r, sess)
	}
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, code int, msg, name string) {
	s.renderLogin(w, r, code, msg, name, "")
}

// renderLogin is the login page with an error msg or a notice (why the
// last session ended).
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, code int, msg, name string, notice template.HTML) {
	tok := randomToken()
	// A browser-session cookie, as on the counter's pages: a login page
	// left open longer than an hour still logs in.
	s.setCookie(w, loginCookie, tok, 0)
	s.render(w, r, code, "login.html", &page{TitleRU: "Вход", TitleEN: "Log in", CSRF: tok, Error: msg,
		Data: map[string]any{"Next": safeNext(r.FormValue("next")), "Name": name, "Notice": notice}})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Failed logins allowed a minute: per address and name, and per address
// over all names (a spray of names with a common password). The third
// limit, per name over all addresses, is Options.AccountLoginLimit.
const (
	nameLoginLimit = 10
	addrLoginLimit = 4 * nameLoginLimit
)

// recent is the failures of key in the last minute; s.mu is held.
func (s *Server) recent(key string, now time.Time) []time.Time {
	ts := s.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= time.Minute {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(s.fails, key)
	} else {
		s.fails[key] = ts
	}
	return ts
}

// take counts an attempt of key as failed from now (at) when key failed
// fewer than limit times in the last minute, and reports whether it did:
// under one lock, so attempts sent together cannot all pass the check
// before the first of them failed. An attempt that did not fail is given
// back with release.
func (s *Server) take(key string, limit int) (ok bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	if len(s.recent(key, now)) >= limit {
		return false, time.Time{}
	}
	s.fails[key] = append(s.fails[key], now)
	if len(s.fails) > 10000 { // a spray of names: drop the ones a minute old
		for k := range s.fails {
			s.recent(k, now)
		}
	}
	return true, now
}

// release gives back the attempt of key taken at at.
func (s *Server) release(key string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.fails[key]
	for i := range ts {
		if ts[i].Equal(at) {
			ts = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(s.fails, key)
	} else {
		s.fails[key] = ts
	}
}

// tellOnce reports whether a refusal of key is its first in a minute, so
// an attack of thousands of refused guesses is logged once a minute.
func (s *Server) tellOnce(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	if t, ok := s.told[key]; ok && now.Sub(t) < time.Minute {
		return false
	}
	if len(s.told) > 10000 {
		for k, t := range s.told {
			if now.Sub(t) >= time.Minute {
				delete(s.told, k)
			}
		}
	}
	s.told[key] = now
	return true
}

// loginLimit is one limit a login attempt counts against (loginPost).
type loginLimit struct {
	key   string
	limit int
	at    time.Time // when take counted it
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	name := strings.TrimSpace(r.PostFormValue("user"))
	c, _ := r.Cookie(loginCookie)
	if c == nil || !equalToken(c.Value, r.PostFormValue("csrf")) || !originOK(r) {
		s.showLogin(w, r, http.StatusForbidden, "Форма устарела, попробуйте ещё раз. / The form expired, try again.", name)
		return
	}
	addr := clientAddr(r)
	// The account's limit over all addresses is spared a browser with
	// the account's device cookie: it counts against that cookie instead.
	// Names are counted whether they are an account's or not, so the
	// refusal tells nothing of which exist.
	dev := s.device(r, name)
	acct := "account\x00" + name
	if dev != "" {
		acct = "device\x00" + dev
	}
	limits := []loginLimit{{key: addr + "\x00" + name, limit: nameLoginLimit}, {key: addr, limit: addrLoginLimit},
		{key: acct, limit: s.opt.AccountLoginLimit}}
	giveBack := func(upTo int) {
		for _, l := range limits[:upTo] {
			s.release(l.key, l.at)
		}
	}
	// Every attempt counts as failed before the password is checked; one
	// that did not fail is given back below.
	for i := range limits {
		ok, at := s.take(limits[i].key, limits[i].limit)
		if ok {
			limits[i].at = at
			continue
		}
		giveBack(i)
		if limits[i].key == acct && s.tellOnce(acct) {
			s.opt.Log.Warn("regional login limited: too many failed logins of the account from all addresses",
				"user", s.knownName(r, name), "addr", addr, "device_cookie", dev != "", "limit", s.opt.AccountLoginLimit)
		}
		w.Header().Set("Retry-After", "60")
		s.showLogin(w, r, http.StatusTooManyRequests, "Слишком много попыток, подождите минуту. / Too many attempts, wait a minute.", name)
		return
	}
	hash, err := s.opt.Store.PasswordHash(r.Context(), name)
	disabled := errors.Is(err, hub.ErrUserDisabled) // told only after the right password
	if disabled {
		err = nil
	}
	if err != nil && !errors.Is(err, mark.ErrNotFound) {
		giveBack(len(limits)) // the store failed, not the guess
		s.fail(w, r, hub.WebSession{}, err)
		return
	}
	if err != nil {
		// A name that is no account's costs the same comparison as a
		// wrong password, so the answer's time does not tell which
		// names exist.
		hash = dummyHash()
	}
	if compareHash([]byte(hash), []byte(r.PostFormValue("password"))) != nil || err != nil {
		logName := name
		if err != nil {
			// It may be a password typed into the name field.
			logName = unknownName
		}
		s.opt.Log.Info("regional login failed", "user", logName, "addr", clientAddr(r))
		s.showLogin(w, r, http.StatusUnauthorized, "Неверное имя или пароль. / Wrong name or password.", name)
		return
	}
	giveBack(len(limits))
	if disabled {
		s.opt.Log.Info("regional login refused: account disabled", "user", name, "addr", clientAddr(r))
		s.showLogin(w, r, http.StatusForbidden, "Учётная запись отключена, обратитесь к администратору. / This account is disabled: ask the administrator.", name)
		return
	}
	token, now := randomToken(), s.opt.Now()
	if err := s.opt.Store.PutSession(r.Context(), hub.WebSession{Hash: tokenHash(token), User: name, CSRF: randomToken(),
		Expires: now.Add(s.opt.SessionTTL), Started: now}); err != nil {
		s.fail(w, r, hub.WebSession{}, err)
		return
	}
	if dev != "" {
		s.mu.Lock()
		delete(s.fails, acct) // the person's own browser: its typos are forgiven
		s.mu.Unlock()
	}
	s.setCookie(w, sessionCookie, token, 0)
	s.setCookie(w, loginCookie, "", -1)
	s.setDevice(w, r, name)
	s.opt.Log.Info("regional login", "user", name, "addr", clientAddr(r))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// unknownName stands in the log for a name typed at the login that is no
// account's: it may be a password typed into the name field.
const unknownName = "(unknown name)"

// knownName is name when it is an account's, else unknownName.
func (s *Server) knownName(r *http.Request, name string) string {
	if _, err := s.opt.Store.PasswordHash(r.Context(), name); errors.Is(err, mark.ErrNotFound) {
		return unknownName
	}
	return name
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	if err := s.opt.Store.DropSession(r.Context(), sess.Hash); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// compareHash checks a password against its bcrypt hash; a test puts a
// spy around it.
var compareHash = bcrypt.CompareHashAndPassword

// dummyHash is compared for an unknown name: a hash of no password at the
// cost markhub user add uses, made once.
var dummyHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	if err != nil {
		panic("bcrypt: " + err.Error()) // only for a cost out of range
	}
	return string(h)
})

func httpStatus(err error) int { return httperr.Status(err) }

// endedReason names why GetSession found no session for a cookie, for
// the login page's query (a word, never text: a link cannot put words on
// the page).
func endedReason(err error) string {
	switch {
	case errors.Is(err, hub.ErrSessionLifetime):
		return "lifetime"
	case errors.Is(err, hub.ErrSessionIdle):
		return "idle"
	}
	return "ended"
}

// endedText is what the login page and a refused form say about a
// session that ended for reason (endedReason): ru, en.
func (s *Server) endedText(reason string) (ru, en string) {
	if ru, en, ok := webtext.SessionEnded(reason, s.opt.SessionLifetime, s.opt.SessionTTL); ok {
		return ru, en
	}
	if reason == "ended" {
		return "Ваш вход завершён (выход, новый пароль, учётная запись отключена). Войдите снова.",
			"Your login has ended (logged out, a new password, the account disabled). Log in again."
	}
	return "", ""
}

// endedFlash is endedText as the login page's notice; "" for no reason.
func (s *Server) endedFlash(reason string) template.HTML {
	return webtext.Both(s.endedText(reason))
}
