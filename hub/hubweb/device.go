package hubweb

import (
	"context"
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
func (s *Server) deviceKey(ctx context.Context, name string) ([]byte, error) {
	hash, epoch, err := s.opt.Store.DeviceSecret(ctx, name)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256([]byte("markhub device key v1\x00" + hash + "\x00" + strconv.FormatInt(epoch, 10)))
	return key[:], nil
}

// deviceLogins is the device cookies of the regional logins over the database.
func (s *Server) deviceLogins() *devicecookie.Logins[hub.WebDevice] {
	return &devicecookie.Logins[hub.WebDevice]{Kind: devices, Book: s.opt.Store, Key: s.deviceKey,
		ID: func(d hub.WebDevice) int64 { return d.ID },
		NoKey: func(err error) bool {
			return errors.Is(err, mark.ErrNotFound) || errors.Is(err, hub.ErrUserDisabled)
		},
		NoDevice: hub.ErrNoDevice, Now: s.opt.Now, Secure: s.opt.TLS, Log: s.opt.Log, What: "regional device cookie"}
}

// setDevice gives the browser of a login of name its device cookie: the
// one it logged in with again (its record renewed), else a new one,
// recorded; when the store fails it gets none.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	s.deviceLogins().Set(w, r, name)
}

// device is the id of r's device cookie of name when it is one made for
// the account as it is now and its device is recorded (not revoked),
// else "".
func (s *Server) device(r *http.Request, name string) string { return s.deviceLogins().Device(r, name) }
