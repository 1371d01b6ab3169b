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

// deviceLogins is the device cookies of this server's logins over its store.
func (s *Server) deviceLogins() *devicecookie.Logins[store.Device] {
	return &devicecookie.Logins[store.Device]{Kind: devices, Book: s.opt.Store, Key: s.opt.Store.DeviceKey,
		ID: func(d store.Device) int64 { return d.ID },
		NoKey: func(err error) bool {
			return errors.Is(err, mark.ErrNotFound) || errors.Is(err, store.ErrUserDisabled)
		},
		NoDevice: store.ErrNoDevice, Now: s.opt.Now, Secure: s.opt.TLS, Log: s.log, What: "device cookie"}
}

// setDevice gives the browser of the login of name its device cookie: the
// one it logged in with again (its record renewed), else a new one,
// recorded. Without a key or a record (the store failed) it gets none:
// the account limit then applies to it as to any other browser.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	s.deviceLogins().Set(w, r, name)
}

// device is the id of r's device cookie of name when it is one this
// server made for the account as it is now and its device is recorded
// (not revoked), else "".
func (s *Server) device(r *http.Request, name string) string { return s.deviceLogins().Device(r, name) }
