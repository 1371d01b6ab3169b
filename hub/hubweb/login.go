package hubweb

import (
	"errors"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"markd/hub"
	"markd/internal/httperr"
	"markd/internal/safenext"
	"markd/mark"
)

// The login page, the failed-login limits and logout of the regional
// pages.

// showLogin is the login page with an error msg.
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
		Data: map[string]any{"Next": safenext.Path(r.FormValue("next")), "Name": name, "Notice": notice}})
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

// loginLimit is one limit a login attempt counts against (loginPost).
type loginLimit struct {
	key   string
	limit int
	at    time.Time // when Take counted it
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
			s.logins.Release(l.key, l.at)
		}
	}
	// Every attempt counts as failed before the password is checked; one
	// that did not fail is given back below.
	for i := range limits {
		ok, _, at := s.logins.Take(limits[i].key, limits[i].limit)
		if ok {
			limits[i].at = at
			continue
		}
		giveBack(i)
		if limits[i].key == acct && s.logins.TellOnce(acct) {
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
		s.logins.Reset(acct) // the person's own browser: its typos are forgiven
	}
	s.setCookie(w, sessionCookie, token, 0)
	s.setCookie(w, loginCookie, "", -1)
	s.setDevice(w, r, name)
	s.opt.Log.Info("regional login", "user", name, "addr", clientAddr(r))
	http.Redirect(w, r, safenext.Path(r.PostFormValue("next")), http.StatusSeeOther)
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
