package web

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	s.endSessions(sess.User, why)
	return fmt.Errorf("session of %q: %s: %w", sess.User, why, errSessionEnded)
}

// endSessions ends every session of user in this daemon, which closes
// their live streams, and un-names them as the counter's operator.
func (s *Server) endSessions(user, why string) {
	n := s.sess.endUser(user)
	s.clearOperator(user)
	if n > 0 {
		s.log.Info("sessions ended", "user", user, "why", why, "sessions", n)
	}
}

// sessionContext returns a context of ctx that also ends when sess ends:
// at once when this daemon ends it, and within Options.AccountPoll when
// its account changes in the store. Long requests (the live streams, the
// event stream of the API) run under it.
func (s *Server) sessionContext(ctx context.Context, sess session) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if sess.done == nil {
		return ctx, cancel
	}
	go func() {
		tick := time.NewTicker(s.opt.AccountPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sess.done:
				cancel()
				return
			case <-tick.C:
				err := s.checkAccount(ctx, sess)
				if errors.Is(err, errSessionEnded) {
					cancel()
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
	return ctx, cancel
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
