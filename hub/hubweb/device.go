package hubweb

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"

	"markd/hub"
	"markd/internal/devicecookie"
	"markd/mark"
)

// Device cookies, as on the counter's pages (internal/devicecookie),
// signed with a key from the account's device secret
// (hub.Regional.DeviceSecret: its password hash and epoch, so markhub
// user passwd or disable voids it). The secret is in the database: any
// markhub instance checks a cookie another made. A cookie counts only
// while the database records its device (hub.DeviceBook): the devices
// page revokes one (devicepage.go); one made before migration 062
// counts as none.
const devices = devicecookie.Kind("markhub")

// deviceCookieName is the cookie of name's device cookie.
func deviceCookieName(name string) string { return devices.Name(name) }

// deviceKey is the key name's device cookies are signed with.
func (s *Server) deviceKey(r *http.Request, name string) ([]byte, error) {
	hash, epoch, err := s.opt.Store.DeviceSecret(r.Context(), name)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256([]byte("markhub device key v1\x00" + hash + "\x00" + strconv.FormatInt(epoch, 10)))
	return key[:], nil
}

// setDevice gives the browser of a login of name its device cookie: the
// one it logged in with again (its record renewed), else a new one,
// recorded; when the store fails it gets none.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	key, err := s.deviceKey(r, name)
	if err != nil {
		s.opt.Log.Warn("regional device cookie not made", "user", name, "err", err)
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
		s.opt.Log.Warn("regional device cookie not recorded", "user", name, "err", err)
		return
	}
	http.SetCookie(w, c)
}

// device is the id of r's device cookie of name when it is one made for
// the account as it is now and its device is recorded (not revoked),
// else "".
func (s *Server) device(r *http.Request, name string) string {
	_, id := s.knownDevice(r, name)
	return id
}

// knownDevice is the record and the cookie's id of r's device cookie of
// name, or "" (device).
func (s *Server) knownDevice(r *http.Request, name string) (hub.WebDevice, string) {
	id := devices.Check(r, name, s.opt.Now(), func() ([]byte, error) {
		key, err := s.deviceKey(r, name)
		if err != nil && !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, hub.ErrUserDisabled) {
			s.opt.Log.Warn("regional device cookie not checked", "user", name, "err", err)
		}
		return key, err
	})
	if id == "" {
		return hub.WebDevice{}, ""
	}
	d, err := s.opt.Store.KnownDevice(r.Context(), name, devicecookie.IDHash(id))
	if err != nil {
		if !errors.Is(err, hub.ErrNoDevice) {
			s.opt.Log.Warn("regional device cookie not checked", "user", name, "err", err)
		}
		return hub.WebDevice{}, ""
	}
	return d, id
}
