package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"time"

	"markd/internal/webtext"
	"markd/mark"
)

// Sessions end in two ways. This daemon ends them itself (logout, idle
// expiry): the session's done channel closes and its requests and streams
// end at once. Or the account changes in the store (markd user passwd,
// disable, remove: another process on the same file): every request of a
// session reads its account (one primary-key read) and compares the epoch,
// and every open stream does the same each Options.AccountPoll (1 s), so a
// stream ends within that poll of the command; then all the account's
// sessions in this daemon end at once.

// defaultAccountPoll bounds how long a live stream outlasts a change of its
// account made by another process.
const defaultAccountPoll = time.Second

// errSessionEnded: the session's account changed since its login.
var errSessionEnded = errors.New("session ended")

// checkAccount reports errSessionEnded (and ends every session of the
// account) when the account of sess was removed, disabled, given a new
// password or another role since the login. Other errors are the store's.
func (s *Server) checkAccount(ctx context.Context, sess session) error {
	u, err := s.opt.Store.GetUser(ctx, sess.User)
	var why string
	switch {
	case errors.Is(err, mark.ErrNotFound):
		why = "account removed"
	case err != nil:
		return err
	case u.Disabled:
		why = "account disabled"
	case u.Role != sess.Role:
		why = "role changed"
	case u.Epoch != sess.Epoch:
		why = "password changed"
	default:
		return nil
	}
	err = fmt.Errorf("session of %q: %s: %w", sess.User, why, errSessionEnded)
	s.endSessions(sess.User, err)
	return err
}

// endSessions ends every session of user in this daemon for why, which
// closes their live streams, and un-names them as the counter's operator.
func (s *Server) endSessions(user string, why error) {
	n := s.sess.endUser(user, why)
	s.clearOperator(user)
	if n > 0 {
		s.log.Info("sessions ended", "user", user, "why", why.Error(), "sessions", n)
	}
}

// sessionContext returns a context of ctx that also ends when sess ends:
// at once when this daemon ends it, and within Options.AccountPoll when
// its account changes in the store or it reaches its lifetime
// (Options.SessionLifetime: a stream keeps no session alive past it).
// Long requests (the live streams, the event stream of the API) run under
// it; its cause (context.Cause) is errSessionLifetime at the lifetime,
// errSessionEnded otherwise.
func (s *Server) sessionContext(ctx context.Context, sess session) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	if sess.done == nil {
		return ctx, func() { cancel(nil) }
	}
	// ended tells whether the session ended by its lifetime or otherwise.
	ended := func() error {
		if !s.opt.Now().Before(sess.Started.Add(s.sess.lifetime)) {
			return errSessionLifetime
		}
		return errSessionEnded
	}
	go func() {
		tick := time.NewTicker(s.opt.AccountPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sess.done:
				cancel(ended())
				return
			case <-tick.C:
				if errors.Is(ended(), errSessionLifetime) {
					s.sess.endOne(sess, errSessionLifetime)
					s.log.Info("session ended", "user", sess.User, "why", "lifetime")
					cancel(errSessionLifetime)
					return
				}
				err := s.checkAccount(ctx, sess)
				if errors.Is(err, errSessionEnded) {
					cancel(errSessionEnded)
					return
				}
				if err != nil && ctx.Err() == nil {
					// The next request of the session checks again and
					// fails closed; the stream only shows verdicts.
					s.log.Warn("account of a live stream not read", "user", sess.User, "err", err)
				}
			}
		}
	}()
	return ctx, func() { cancel(nil) }
}

// tokenContext returns a context of ctx that also ends within
// Options.AccountPoll when the API token tok (of the program name) is
// removed (markd token remove, another process) or given to another name:
// a program's open /events stream stops getting verdicts then.
func (s *Server) tokenContext(ctx context.Context, tok, name string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(s.opt.AccountPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// The store, not the token cache: the cache may still
				// hold a removed token for a few seconds.
				now, err := s.opt.Store.TokenName(ctx, tok)
				switch {
				case errors.Is(err, mark.ErrUnauthorized) || (err == nil && now != name):
					s.log.Info("API stream ended: token removed", "token_name", name)
					cancel()
					return
				case err != nil && ctx.Err() == nil:
					s.log.Warn("token of a live stream not read", "token_name", name, "err", err)
				}
			}
		}
	}()
	return ctx, cancel
}

// reasonOf names why a session ended, for the login page's query (the
// reason only, never text: a link cannot put words on the page).
func reasonOf(err error) string {
	switch {
	case errors.Is(err, errSessionLifetime):
		return "lifetime"
	case errors.Is(err, errSessionIdle):
		return "idle"
	}
	return "ended"
}

// endedText is what the login page and a refused API call say about a
// session that ended for reason (reasonOf): ru, en.
func (s *Server) endedText(reason string) (ru, en string) {
	if ru, en, ok := webtext.SessionEnded(reason, s.opt.SessionLifetime, s.opt.SessionTTL); ok {
		return ru, en
	}
	if reason == "ended" {
		return "Ваш вход завершён (выход в другом окне, новый пароль, перезапуск кассы). Войдите снова.",
			"Your login has ended (logged out elsewhere, a new password, the counter restarted). Log in again."
	}
	return "", ""
}

// endedFlash is endedText as the login page's notice; "" for no reason.
func (s *Server) endedFlash(reason string) template.HTML {
	return webtext.Both(s.endedText(reason))
}
