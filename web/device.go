package web

import (
	"errors"
	"net/http"

	"markd/internal/devicecookie"
	"markd/mark"
	"markd/store"
)

// Device cookies (internal/devicecookie) signed with the account's device
// key (store.DB.DeviceKey: from its password hash and epoch). Failed
// logins of a name from browsers without its device cookie are limited
// per name over all addresses (Options.AccountLoginLimit).
const devices = devicecookie.Kind("markd")

// deviceCookieName is the cookie of name's device cookie.
func deviceCookieName(name string) string { return devices.Name(name) }

// deviceLifetime is how long a device cookie counts.
const deviceLifetime = devicecookie.Lifetime

// setDevice gives the browser of the login of name a new device cookie.
// Without a key (the store failed) it gets none: the account limit then
// applies to it as to any other browser.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	key, err := s.opt.Store.DeviceKey(r.Context(), name)
	if err != nil {
		s.log.Warn("device cookie not made", "user", name, "err", err)
		return
	}
	http.SetCookie(w, devices.New(key, name, s.opt.Now(), s.opt.TLS))
}

// device is the id of r's device cookie of name when it is one this
// server made for the account as it is now, else "".
func (s *Server) device(r *http.Request, name string) string {
	return devices.Check(r, name, s.opt.Now(), func() ([]byte, error) {
		key, err := s.opt.Store.DeviceKey(r.Context(), name)
		if err != nil && !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, store.ErrUserDisabled) {
			s.log.Warn("device cookie not checked", "user", name, "err", err)
		}
		return key, err
	})
}
