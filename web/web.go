// Package web serves the pages people use: the operator screen (the verdict
// of the current scan in large type, live over server-sent events) and the
// supervisor review pages (rejected marks, confirm or override with an
// audited note, CSV export, a day chart). Templates, CSS and JavaScript are
// embedded with go:embed; nothing is fetched from the internet.
//
// Every page and the daemon's JSON API sit behind a login. Sessions are
// HttpOnly, SameSite=Strict cookies (Secure under TLS), every POST carries
// a CSRF token, and failed logins are rate limited per address and user,
// per address, and per user over all addresses for browsers without the
// user's device cookie (device.go).
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"markd/batch"
	"markd/httpapi"
	"markd/internal/httperr"
	"markd/mark"
	"markd/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the web pages.
type Options struct {
	Store      *store.DB
	Log        *slog.Logger
	SessionTTL time.Duration // idle lifetime of a session
	// SessionLifetime is the longest a session lasts after its login,
	// however much it is used (an operator screen left open); 0 = 12 h.
	SessionLifetime time.Duration
	LoginLimit      int // failed logins per minute per address and user
	// AccountLoginLimit is the failed logins per minute of one user name
	// over all addresses from browsers without its device cookie (and
	// of each device cookie); 0 = DefaultAccountLoginLimit.
	AccountLoginLimit int
	TLS               bool // served over TLS: cookies get Secure, answers HSTS
	// Hosts are the names (Host header) the pages answer to besides IP
	// addresses and localhost; any other is refused (DNS rebinding).
	Hosts    []string
	Location *time.Location
	Now      func() time.Time
	// SnapshotsDir, when set, holds camera snapshots as <record id>.jpg for
	// records whose frame is not in the store.
	SnapshotsDir string
	// Feed gives every record as soon as the pipeline decided it; the
	// operator screen shows them live. Nil: no live updates.
	Feed Feed
	// Health returns the state of the input sources for the status lights.
	Health func() []mark.SourceHealth
	// SetOperator names the person at the counter, stamped on every record.
	SetOperator func(name string)
	// Public lists API paths served without a login (e.g. /healthz, /metrics).
	Public []string
	// Batches serves the batch pages (the supervisors' list, receipts);
	// nil: no batch pages.
	Batches *batch.Service
	// Weight gives the weight on the counter scale in grams (0 = unknown);
	// nil: no scale.
	Weight func() int
	// AccountPoll is how often an open live stream reads its account, so
	// it ends when another process (markd user passwd|disable|remove)
	// changed it; 0 = 1 s.
	AccountPoll time.Duration
}

// Feed is the pipeline's stream of decided records.
type Feed interface {
	// Subscribe returns a channel of records and a function that ends the
	// subscription. A slow reader may miss records; it never blocks the pipeline.
	Subscribe() (<-chan mark.Record, func())
}

// Server is the web front end. Handler mounts it in front of the API.
type Server struct {
	opt     Options
	log     *slog.Logger
	sess    *sessions
	limit   *limiter // failed logins per address and user name
	addrLim *limiter // failed logins per address over all names (a spray of names)
	// acctLim counts failed logins per user name over all addresses
	// from browsers without its device cookie, and per device cookie
	// (loginPost).
	acctLim  *limiter
	pages    map[string]*template.Template
	mux      *http.ServeMux
	patterns []string // every route of mux, for the tests that walk them
	api      http.Handler
	static   http.Handler
	heartbit time.Duration // how often the live feed sends source health

	opMu     sync.Mutex
	operator string // name last given to Options.SetOperator

	tokens *tokenCache // API tokens checked lately

	// authenticate checks a login's password: Options.Store.Authenticate
	// (tests hold it, to send attempts while others are being checked).
	authenticate func(ctx context.Context, name, password string) (store.User, error)

	// overrides counts the supervisors' overrides to accept made through
	// these pages; the live feed's health events carry it, so the batch
	// panel reads its batch again when it changes (an envelope of the
	// open batch accepted by a supervisor counts as accepted at once).
	overrides atomic.Int64
	// batchWrites counts the requests to open, list, close or cancel a
	// batch (the cash-desk program's above all); carried like overrides,
	// so the batch panel shows what the desk did without a scan.
	batchWrites atomic.Int64
	batchWatch  batchWatch // batch actions of other processes (batchwatch.go)
	streams     streamCap  // open live streams of each user and token (streamcap.go)
}

// setOperator names the person at the counter for the pipeline.
func (s *Server) setOperator(name string) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if s.operator != name {
		s.operator = name
		if s.opt.SetOperator != nil {
			s.opt.SetOperator(name)
		}
	}
}

// atCounter is the person at the counter now ("" when nobody is logged in
// there): the operator of a batch the cash-desk program opens.
func (s *Server) atCounter() string {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	return s.operator
}

// clearOperator un-names user when they were the one at the counter.
func (s *Server) clearOperator(user string) {
	s.opMu.Lock()
	was := s.operator == user
	s.opMu.Unlock()
	if was {
		s.setOperator("")
	}
}

// New builds the web front end.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, fmt.Errorf("web: no store: %w", mark.ErrInvalid)
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.Local
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 12 * time.Hour
	}
	if opt.SessionLifetime <= 0 {
		opt.SessionLifetime = 12 * time.Hour
	}
	if opt.LoginLimit <= 0 {
		opt.LoginLimit = 5
	}
	if opt.AccountLoginLimit <= 0 {
		opt.AccountLoginLimit = DefaultAccountLoginLimit
	}
	if opt.AccountPoll <= 0 {
		opt.AccountPoll = defaultAccountPoll
	}
	s := &Server{
		opt:      opt,
		log:      opt.Log.With("subsystem", "web"),
		sess:     newSessions(opt.SessionTTL, opt.SessionLifetime, opt.Now),
		limit:    newLimiter(opt.LoginLimit, opt.Now),
		addrLim:  newLimiter(addrLimitFactor*opt.LoginLimit, opt.Now),
		acctLim:  newLimiter(opt.AccountLoginLimit, opt.Now),
		heartbit: 2 * time.Second,
		tokens:   &tokenCache{store: opt.Store, now: opt.Now, ttl: tokenTTL, m: map[string]tokenEntry{}},
	}
	s.authenticate = opt.Store.Authenticate
	// An operator whose session ran out is no longer at the counter.
	s.sess.expired = s.clearOperator
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	s.patterns = nil
	handle := func(pattern string, h http.Handler) {
		m.Handle(pattern, h)
		s.patterns = append(s.patterns, pattern)
	}
	handle("GET /static/", s.static)
	handle("GET /favicon.ico", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	handle("GET /lang", http.HandlerFunc(s.setLang))
	handle("GET /login", http.HandlerFunc(s.loginPage))
	handle("POST /login", http.HandlerFunc(s.loginPost))
	handle("POST /logout", s.auth("", s.logout))

	handle("GET /{$}", s.auth("", s.operatorPage))
	handle("GET /operator/recent", s.auth("", s.operatorRecent))
	handle("GET /operator/live", s.auth("", s.operatorLive))
	handle("GET /operator/batch/last", s.auth("", s.operatorLastBatch))
	s.deviceRoutes(handle)

	sup := store.RoleSupervisor
	handle("GET /review", s.auth(sup, s.reviewList))
	handle("GET /review/export.csv", s.auth(sup, s.reviewCSV))
	handle("GET /review/days", s.auth(sup, s.reviewDays))
	handle("GET /review/{id}", s.auth(sup, s.reviewDetail))
	handle("GET /review/{id}/frame.jpg", s.auth(sup, s.reviewFrame))
	handle("POST /review/{id}/confirm", s.auth(sup, s.reviewConfirm))
	handle("POST /review/{id}/override", s.auth(sup, s.reviewOverride))
	handle("GET /review/batches", s.auth(sup, s.batchList))
	handle("GET /review/batches/export.csv", s.auth(sup, s.batchCSV))
	handle("GET /batches/{id}/receipt", s.auth("", s.batchReceiptHTML))
	handle("GET /review/setaside", s.auth(sup, s.setAsideList))
	handle("GET /review/setaside/export.csv", s.auth(sup, s.setAsideCSV))
	handle("POST /review/setaside/resend", s.auth(sup, s.setAsideResend))

	// Everything else goes to the API (Handler), behind the same login.
	handle("/", http.HandlerFunc(s.fallback))
	s.mux = m
}

// Handler returns the web pages in front of api: paths the pages do not
// serve go to api, behind the same login unless listed in Options.Public.
func (s *Server) Handler(api http.Handler) http.Handler {
	s.api = api
	// The headers go on the host guard's refusal too: it names the Host
	// it was given, which an attacker chose.
	return securityHeaders(s.guardHost(s.limitURI(s.mux)))
}

func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	if s.api == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/batches") {
		defer s.batchWrites.Add(1) // after its answer: a refused one only reads the batch again
	}
	for _, p := range s.opt.Public {
		if r.URL.Path == p {
			s.api.ServeHTTP(w, r)
			return
		}
	}
	// The API's answers carry scans and names: kept in no cache, as the
	// pages are not (a route may say otherwise: the streams' no-cache).
	w.Header().Set("Cache-Control", "no-store")
	if tok, ok := bearerToken(r); ok {
		// A local program (the cash-desk software) with its API token. No
		// cookie is involved, so there is no cross-site request to guard
		// against and no CSRF token to ask for.
		name, err := s.tokens.name(r.Context(), tok)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := httpapi.WithActor(r.Context(), "api:"+name)
		ctx = httpapi.WithOperator(ctx, s.atCounter())
		if isStream(r) {
			release, ok := s.openStream(w, r, "API token "+strconv.Quote(name))
			if !ok {
				return
			}
			defer release()
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			// A read (the /events stream above all) ends when the token
			// is removed, as a session's ends with its account.
			var cancel context.CancelFunc
			ctx, cancel = s.tokenContext(ctx, tok, name)
			defer cancel()
		}
		s.api.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	s.auth("", func(w http.ResponseWriter, r *http.Request, sess session) {
		ctx := httpapi.WithActor(r.Context(), sess.User)
		if sess.Role != store.RoleSupervisor {
			// Operators read what their screen shows; the review data
			// (other days, other counters, filters) is the supervisors'.
			ctx = httpapi.WithScope(ctx, httpapi.ScopeCounterToday)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.csrfOK(w, r) {
				return
			}
		} else {
			if isStream(r) {
				release, ok := s.openStream(w, r, "user "+strconv.Quote(sess.User))
				if !ok {
					return
				}
				defer release()
			}
			// A read (the /events stream above all) ends with the session.
			// Writes run to their end: a scan half-recorded is worse.
			var cancel context.CancelFunc
			ctx, cancel = s.sessionContext(ctx, sess)
			defer cancel()
			if wantsHTML(r) {
				// A person's browser on a path no route takes gets the
				// error page, not the API's plain-text 404.
				w = &pageNotFound{ResponseWriter: w, s: s, r: r}
			}
		}
		s.api.ServeHTTP(w, r.WithContext(ctx))
	}).ServeHTTP(w, r)
}

// pageNotFound answers a browser's read the API has no page for with the
// error page: a 404 the API writes as plain text (the router's own, for a
// path no route takes) is replaced by the error page's 404.
type pageNotFound struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (p *pageNotFound) WriteHeader(code int) {
	if code == http.StatusNotFound && strings.HasPrefix(p.Header().Get("Content-Type"), "text/plain") {
		p.replaced = true
		h := p.Header()
		h.Del("Content-Type")
		h.Del("Content-Length")
		p.s.fail(p.ResponseWriter, p.r, fmt.Errorf("%s: no such page: %w", p.r.URL.Path, mark.ErrNotFound))
		return
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *pageNotFound) Write(b []byte) (int, error) {
	if p.replaced {
		return len(b), nil // the plain-text body of the replaced 404
	}
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (p *pageNotFound) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// Flush passes a stream's flushes on (the API's /events).
func (p *pageNotFound) Flush() {
	if f, ok := p.ResponseWriter.(http.Flusher); ok && !p.replaced {
		f.Flush()
	}
}

// isStream tells the API's live stream (/events) from its other reads.
func isStream(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Path == "/events"
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// RequireAuth wraps a handler of the daemon so it needs a login.
func (s *Server) RequireAuth(h http.Handler) http.Handler {
	return s.auth("", func(w http.ResponseWriter, r *http.Request, _ session) { h.ServeHTTP(w, r) })
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.ServeHTTP(w, r)
	})
}

const sessionCookie = "markd_session"

type sessionKey struct{}

// auth requires a session, and role when it is not "". A browser without a
// session is sent to the login page; an API client gets 401; a logged-in
// user without the role gets 403.
func (s *Server) auth(role store.Role, h func(http.ResponseWriter, *http.Request, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie(sessionCookie)
		var sess session
		why := errNoSession // no cookie: never logged in here
		if c != nil {
			sess, why = s.sess.lookup(c.Value)
		}
		if why == nil {
			// The account may have changed in another process since the
			// login (markd user passwd|disable|remove).
			if err := s.checkAccount(r.Context(), sess); errors.Is(err, errSessionEnded) {
				why = err
			} else if err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if why != nil {
			// A cookie that no longer logs in: the login page and the
			// API say why (the lifetime, idle, ended elsewhere). It
			// stays, so the login page can tell it again.
			ended := c != nil && c.Value != ""
			if r.Method == http.MethodGet && wantsHTML(r) {
				q := "/login?"
				if ended {
					q += "ended=" + reasonOf(why) + "&"
				}
				http.Redirect(w, r, loginNext(q, r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if ended {
				s.fail(w, r, s.errEnded(r, why))
				return
			}
			s.fail(w, r, errLogIn(r))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		if role != "" && sess.Role != role {
			s.fail(w, r, &roleError{method: r.Method, path: r.URL.Path, need: role, sess: sess})
			return
		}
		h(w, r, sess)
	})
}

// errLogIn is the refusal of a request without a session: a program
// calling the API learns how to get a token (docs/local-api.md), people
// that they must log in.
func errLogIn(r *http.Request) error {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/events" {
		return mark.WithHint(fmt.Errorf("no API token and no login: %w", mark.ErrUnauthorized),
			"send Authorization: Bearer TOKEN; make one with: markd token add NAME")
	}
	return fmt.Errorf("log in first: %w", mark.ErrUnauthorized)
}

// errEnded is the refusal of a request whose session ended (why, from
// sessions.lookup or checkAccount): it says why and to log in again.
func (s *Server) errEnded(r *http.Request, why error) error {
	_, en := s.endedText(reasonOf(why))
	hint := "log in again at /login"
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/events" {
		hint += "; a program uses an API token instead: markd token add NAME"
	}
	reason := strings.TrimSuffix(strings.TrimSuffix(en, " Log in again."), ".") // the error's ": unauthorized" follows
	return mark.WithHint(fmt.Errorf("%s: %w", reason, mark.ErrUnauthorized), hint)
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// csrfOK checks the CSRF token of a state-changing request (form field
// "csrf" or header X-CSRF-Token) and, when the browser names it, that the
// Origin is this server. It answers 403 itself when the check fails.
func (s *Server) csrfOK(w http.ResponseWriter, r *http.Request) bool {
	sess, _ := r.Context().Value(sessionKey{}).(session)
	if !originOK(r) {
		s.fail(w, r, fmt.Errorf("request from another site (Origin %q): %w", r.Header.Get("Origin"), mark.ErrForbidden))
		return false
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		// A form's token: the pages' forms are urlencoded (never
		// multipart), and bounded, as the other forms are.
		if !s.formOK(w, r, maxForm) {
			return false
		}
		tok = r.PostForm.Get("csrf")
	}
	if !equalToken(tok, sess.CSRF) {
		s.fail(w, r, mark.WithHint(fmt.Errorf("missing or stale form token: %w", mark.ErrForbidden),
			"reload the page and try again"))
		return false
	}
	return true
}

// maxForm bounds the form of a page's POST: a review note of 2000
// letters is at most 24 KB encoded.
const maxForm = 64 << 10

// formOK reads the urlencoded form of r, at most limit bytes. A longer one
// is 413 naming the limit and an unreadable one 400, answered here: a form
// cut short must not read as a form without its token (a 403 "reload the
// page") or without its note (a decision recorded without it).
func (s *Server) formOK(w http.ResponseWriter, r *http.Request, limit int64) bool {
	return s.formOKHint(w, r, limit, fmt.Sprintf("a note is at most %d characters", maxNote))
}

// formOKHint is formOK whose refusal of a form over limit has hint.
func (s *Server) formOKHint(w http.ResponseWriter, r *http.Request, limit int64, hint string) bool {
	if r.PostForm != nil {
		return true // read already
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	err := r.ParseForm()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, mark.WithHint(fmt.Errorf("form: more than %d bytes: %w: %w", limit, mark.ErrInvalid, mark.ErrTooLarge), hint))
		return false
	case err != nil:
		s.fail(w, r, fmt.Errorf("form: %w: %w", err, mark.ErrInvalid))
		return false
	}
	return true
}

func originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not sent by older browsers on same-origin form posts
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// addrLimitFactor: one address may fail this many times login_limit per
// minute over all user names, so trying many names does not get around
// the per-user limit.
const addrLimitFactor = 4

// DefaultAccountLoginLimit is Options.AccountLoginLimit's default
// (web.login_account_limit).
const DefaultAccountLoginLimit = 10

// clientAddr is the remote IP without the port: the rate limit key.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fail answers with the status of err's sentinel through the one error
// writer (httperr): the error page for a browser, JSON for /api/ and JSON
// clients, plain text otherwise; a server error's details only in the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httperr.Writer{Log: s.log, HTML: s.errorPage, Text: true}.Write(w, r, err)
}

// errorPage renders the error page of an answer.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, code int, b httperr.Body, err error) {
	sess, _ := r.Context().Value(sessionKey{}).(session)
	p := &page{Title: statusTitle(code), Session: sess, Status: code, Error: b.Error, Hint: b.Hint}
	var re *roleError
	if errors.As(err, &re) {
		// Said in words on the page itself; the log has the details.
		p.Error, p.Hint, p.Data = "", "", re
	}
	s.render(w, r, "error.html", p)
}
