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
// markhub instance checks a cookie another made.
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

// setDevice gives the browser of a login of name a new device cookie;
// when the store fails it gets none.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	key, err := s.deviceKey(r, name)
	if err != nil {
		s.opt.Log.Warn("regional device cookie not made", "user", name, "err", err)
		return
	}
	http.SetCookie(w, devices.New(key, name, s.opt.Now(), s.opt.TLS))
}

// device is the id of r's device cookie of name when it is one made for
// the account as it is now, else "".
func (s *Server) device(r *http.Request, name string) string {
	return devices.Check(r, name, s.opt.Now(), func() ([]byte, error) {
		key, err := s.deviceKey(r, name)
		if err != nil && !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, hub.ErrUserDisabled) {
			s.opt.Log.Warn("regional device cookie not checked", "user", name, "err", err)
		}
		return key, err
	})
}
