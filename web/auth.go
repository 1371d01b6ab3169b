package web

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"markd/internal/safenext"
	"markd/mark"
	"markd/store"
)

// loginCSRFCookie carries the double-submit token of the login form: there
// is no session yet to hold one.
const loginCSRFCookie = "markd_login_csrf"

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	reason := r.URL.Query().Get("ended")
	if c, _ := r.Cookie(sessionCookie); reason == "" && c != nil && c.Value != "" {
		// A page's script sent here on a 401 names no reason: the
		// cookie of the ended session tells it.
		if _, err := s.sess.lookup(c.Value); err != nil {
			reason = reasonOf(err)
		}
	}
	s.showLoginFlash(w, r, http.StatusOK, s.endedFlash(reason), r.URL.Query().Get("next"))
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, code int, msg, next, user string) {
	s.renderLogin(w, r, &page{Status: code, Error: msg, Next: next, User: user})
}

// showLoginFlash is the login page with a notice: why the last session
// ended.
func (s *Server) showLoginFlash(w http.ResponseWriter, r *http.Request, code int, flash template.HTML, next string) {
	s.renderLogin(w, r, &page{Status: code, Flash: flash, Next: next})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, p *page) {
	tok := randomToken()
	// A browser-session cookie: a login page left open overnight at a
	// counter still logs in the next morning (it lasted an hour, and the
	// first attempt of the day failed with "the form expired"). SameSite
	// and the Origin check guard the form; the token's age adds nothing.
	s.setCookie(w, loginCSRFCookie, tok, 0)
	p.Title, p.CSRF, p.Next = "Вход / Log in", tok, safenext.Path(p.Next)
	s.render(w, r, "login.html", p)
}

// maxLoginForm bounds the login form (a name, a password of at most
// store.MaxPasswordLen bytes, two tokens).
const maxLoginForm = 8 << 10

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	if !s.formOKHint(w, r, maxLoginForm, fmt.Sprintf("a password is at most %d bytes", store.MaxPasswordLen)) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	c, _ := r.Cookie(loginCSRFCookie)
	if c == nil || !equalToken(c.Value, r.PostFormValue("csrf")) || !originOK(r) {
		s.log.Info("login refused: bad form token", "addr", clientAddr(r), "user", s.knownName(r, name))
		s.showLogin(w, r, http.StatusForbidden, "Форма устарела, попробуйте ещё раз. / The form expired, try again.", next, name)
		return
	}
	addr := clientAddr(r)
	key := addr + "\x00" + name
	// The attempt counts against every limit before the password is
	// checked (limiter.take); one that did not fail is given back below.
	// The account's limit over all addresses is spared a browser with
	// the account's device cookie: it counts against that cookie instead.
	acct := "name\x00" + name
	dev := s.device(r, name)
	if dev != "" {
		acct = "device\x00" + dev
	}
	steps := []limitStep{{l: s.limit, key: key}, {l: s.addrLim, key: addr}, {l: s.acctLim, key: acct}}
	ok, wait, refused := takeAll(steps)
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.Warn("login rate limited", "addr", clientAddr(r), "user", s.knownName(r, name), "limit", limitNames[refused])
		if steps[refused].l == s.acctLim && s.acctLim.TellOnce(acct) {
			// Once a minute an account is under attack: the refusals
			// themselves are not audited one by one.
			what := "account"
			if dev != "" {
				what = "device cookie"
			}
			detail := fmt.Sprintf("%s limit: %d failed logins a minute from all addresses, from %s", what, s.opt.AccountLoginLimit, addr)
			if err := s.opt.Store.Audit(r.Context(), store.AuditEntry{Actor: s.knownName(r, name), Action: store.ActionLoginFailed, Detail: detail}); err != nil {
				s.log.Warn("audit of the account limit not written", "err", err)
			}
		}
		s.showLogin(w, r, http.StatusTooManyRequests,
			fmt.Sprintf("Слишком много попыток, подождите %d с. / Too many attempts, wait %d s.", secs, secs), next, name)
		return
	}
	giveBack := func() {
		for _, st := range steps {
			st.l.Release(st.key, st.at)
		}
	}
	u, err := s.authenticate(r.Context(), name, password)
	if err != nil {
		if !errors.Is(err, mark.ErrUnauthorized) {
			giveBack() // the store failed, not the guess
			s.fail(w, r, err)
			return
		}
		if errors.Is(err, store.ErrUserDisabled) { // the right password of a disabled account
			giveBack()
			s.limit.Reset(key)
			_ = s.opt.Store.Audit(r.Context(), store.AuditEntry{Actor: name, Action: store.ActionLoginFailed, Detail: "disabled, from " + clientAddr(r)})
			s.log.Info("login refused: account disabled", "user", name, "addr", clientAddr(r))
			s.showLogin(w, r, http.StatusForbidden, "Учётная запись отключена, обратитесь к начальнику смены. / This account is disabled: ask your supervisor.", next, name)
			return
		}
		_ = s.opt.Store.Audit(r.Context(), store.AuditEntry{Actor: s.knownName(r, name), Action: store.ActionLoginFailed, Detail: clientAddr(r)})
		s.showLogin(w, r, http.StatusUnauthorized, "Неверное имя или пароль. / Wrong name or password.", next, name)
		return
	}
	// A success gives its attempt back; it clears the failures of this
	// address and name, and of its own device cookie, but not those of
	// the account from elsewhere (a guesser's).
	giveBack()
	s.limit.Reset(key)
	if dev != "" {
		s.acctLim.Reset(acct)
	}
	token, _ := s.sess.create(u)
	s.setCookie(w, sessionCookie, token, 0)
	s.setCookie(w, loginCSRFCookie, "", -1)
	s.setDevice(w, r, u.Name)
	if err := s.opt.Store.Audit(r.Context(), store.AuditEntry{Actor: u.Name, Action: store.ActionLogin, Detail: string(u.Role) + " from " + clientAddr(r)}); err != nil {
		s.log.Warn("audit of login not written", "user", u.Name, "err", err)
	}
	if u.Role == store.RoleOperator {
		s.setOperator(u.Name)
	}
	s.log.Info("login", "user", u.Name, "role", u.Role, "addr", clientAddr(r))
	target := safenext.Path(next)
	if u.Role == store.RoleOperator && strings.HasPrefix(target, "/review") {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// limitNames names the steps of loginPost's limits for the log.
var limitNames = []string{"address and name", "address", "account"}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess session) {
	if !s.csrfOK(w, r) {
		return
	}
	// Logging out ends every session of the person, in every browser, and
	// their live streams at once (a shared counter PC left logged in
	// elsewhere is closed too).
	s.endSessions(sess.User, errLoggedOut)
	s.setCookie(w, sessionCookie, "", -1)
	if err := s.opt.Store.Audit(r.Context(), store.AuditEntry{Actor: sess.User, Action: store.ActionLogout}); err != nil {
		s.log.Warn("audit of logout not written", "user", sess.User, "err", err)
	}
	s.log.Info("logout", "user", sess.User)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// errLoggedOut: the person logged out (in this browser or another).
var errLoggedOut = fmt.Errorf("logged out: %w", errSessionEnded)

// unknownUser stands for a name typed at the login that is no account's:
// it may be a password typed into the name field, so it is neither
// audited nor logged.
const unknownUser = "(unknown name)"

// knownName is name when it is an account's, else unknownUser.
func (s *Server) knownName(r *http.Request, name string) string {
	if _, err := s.opt.Store.GetUser(r.Context(), name); err != nil {
		return unknownUser
	}
	return name
}
