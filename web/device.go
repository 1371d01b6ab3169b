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
// per name over all addresses (Options.AccountLoginLimit). A cookie
// counts only while the store records its device (store.KnownDevice):
// the account's page lists them and revokes one (devicepage.go); one
// made before the store recorded them (migration 072) counts as none.
const devices = devicecookie.Kind("markd")

// deviceCookieName is the cookie of name's device cookie.
func deviceCookieName(name string) string { return devices.Name(name) }

// deviceLifetime is how long a device cookie counts.
const deviceLifetime = devicecookie.Lifetime

// setDevice gives the browser of the login of name its device cookie: the
// one it logged in with again (its record renewed), else a new one,
// recorded. Without a key or a record (the store failed) it gets none:
// the account limit then applies to it as to any other browser.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	key, err := s.opt.Store.DeviceKey(r.Context(), name)
	if err != nil {
		s.log.Warn("device cookie not made", "user", name, "err", err)
		return
	}
	now := s.opt.Now()
	var c *http.Cookie
	known, id := s.knownDevice(r, name)
	if id != "" {
		c = devices.Renew(key, name, id, now, s.opt.TLS)
	} else {
		c, id = devices.Issue(key, name, now, s.opt.TLS)
	}
	if _, err := s.opt.Store.RecordDevice(r.Context(), name, devicecookie.IDHash(id), devicecookie.Agent(r.UserAgent()), known.ID, now); err != nil {
		s.log.Warn("device cookie not recorded", "user", name, "err", err)
		return
	}
	http.SetCookie(w, c)
}

// device is the id of r's device cookie of name when it is one this
// server made for the account as it is now and its device is recorded
// (not revoked), else "".
func (s *Server) device(r *http.Request, name string) string {
	_, id := s.knownDevice(r, name)
	return id
}

// knownDevice is the record and the cookie's id of r's device cookie of
// name, or "" (device).
func (s *Server) knownDevice(r *http.Request, name string) (store.Device, string) {
	id := devices.Check(r, name, s.opt.Now(), func() ([]byte, error) {
		key, err := s.opt.Store.DeviceKey(r.Context(), name)
		if err != nil && !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, store.ErrUserDisabled) {
			s.log.Warn("device cookie not checked", "user", name, "err", err)
		}
		return key, err
	})
	if id == "" {
		return store.Device{}, ""
	}
	d, err := s.opt.Store.KnownDevice(r.Context(), name, devicecookie.IDHash(id))
	if err != nil {
		if !errors.Is(err, store.ErrNoDevice) {
			s.log.Warn("device cookie not checked", "user", name, "err", err)
		}
		return store.Device{}, ""
	}
	return d, id
}
