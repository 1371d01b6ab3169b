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
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub"
	"markd/internal/httperr"
	"markd/internal/loginlimit"
	"markd/internal/safenext"
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

	logins *loginlimit.Fails // failed logins per limit key (loginPost) in the last minute
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
	s := &Server{opt: opt, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	s.logins = loginlimit.New(func() time.Time { return s.opt.Now() })
	funcs := template.FuncMap{"when": s.when, "skew": skewText, "office": officeText, "rub": kopText,
		"sum3":  func(a, b, c int64) int64 { return a + b + c },
		"share": shareText, "inc": func(i int) int { return i + 1 }, "codes": disputeCodes, "reviewRow": reviewRowOf, "reviewedRow": reviewedRowOf}
	for _, name := range []string{"login.html", "fleet.html", "alerts.html", "lookup.html", "unverified.html", "refused.html", "offices.html", "rejects.html", "questioned.html", "devices.html", "error.html"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/review.html", "templates/"+name)
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
	s.handle("GET /questioned", s.auth(s.questioned))
	s.handle("POST /questioned", s.auth(s.questionPost))
	s.handle("GET /lookup", s.auth(s.lookup))
	s.handle("GET /unverified", s.auth(s.unverified))
	s.handle("GET /refused", s.auth(s.refused))
	s.handle("GET /offices", s.auth(s.officeDays))
	s.handle("GET /offices.csv", s.auth(s.officeCSV))
	s.handle("GET /rejects", s.auth(s.rejects))
	s.handle("GET /rejects.csv", s.auth(s.rejectsCSV))
	s.deviceRoutes()
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

// Routes is the pattern of every route of the pages (http.ServeMux
// syntax; "GET /" is the page of a path no other route takes): the guard
// of docs/ checks the paths the documents name.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

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
	http.Redirect(w, r, safenext.Path(r.URL.Query().Get("next")), http.StatusSeeOther)
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
