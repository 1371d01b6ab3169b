package hubweb

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/mark"
)

// Device cookies, as on the counter's pages (web/device.go): a browser
// that logged in as an account gets a cookie signed with the account's
// device secret (hub.Regional.DeviceSecret: its password hash and epoch,
// so markhub user passwd or disable voids it), and failed logins of a
// name from browsers without it are limited per name over all addresses
// (Options.AccountLoginLimit). A browser with one counts against its own
// cookie instead, so a guesser spread over many hosts does not lock the
// person on their own browser out. The secret is in the database: any
// markhub instance checks a cookie another made.

// deviceLifetime is how long a device cookie counts after the login that
// made it; each login makes a new one.
const deviceLifetime = 365 * 24 * time.Hour

// deviceCookieName is the cookie of name's device cookie, one per account.
func deviceCookieName(name string) string {
	h := sha256.Sum256([]byte(name))
	return "markhub_device_" + hex.EncodeToString(h[:8])
}

// deviceMAC signs the device id of name issued at issued (Unix seconds)
// with the account's password hash and epoch.
func deviceMAC(hash string, epoch int64, name, id string, issued int64) []byte {
	key := sha256.Sum256([]byte("markhub device key v1\x00" + hash + "\x00" + strconv.FormatInt(epoch, 10)))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte("markhub device cookie v1\x00" + name + "\x00" + id + "\x00" + strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// setDevice gives the browser of a login of name a new device cookie
// (id.issued.mac); when the store fails it gets none.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	hash, epoch, err := s.opt.Store.DeviceSecret(r.Context(), name)
	if err != nil {
		s.opt.Log.Warn("regional device cookie not made", "user", name, "err", err)
		return
	}
	id := randomToken()[:22]
	issued := s.opt.Now().Unix()
	http.SetCookie(w, &http.Cookie{
		Name:  deviceCookieName(name),
		Value: id + "." + strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(hash, epoch, name, id, issued)),
		// Sent with the login form only.
		Path: "/login", MaxAge: int(deviceLifetime / time.Second),
		HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode,
	})
}

// device is the id of r's device cookie of name when it is one made for
// the account as it is now, else "". It reads the store only for a
// request with a cookie of that name.
func (s *Server) device(r *http.Request, name string) string {
	c, err := r.Cookie(deviceCookieName(name))
	if err != nil || c.Value == "" {
		return ""
	}
	id, rest, ok1 := strings.Cut(c.Value, ".")
	at, sig, ok2 := strings.Cut(rest, ".")
	issued, err := strconv.ParseInt(at, 10, 64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok1 || !ok2 || id == "" || err != nil || err2 != nil ||
		s.opt.Now().Sub(time.Unix(issued, 0)) > deviceLifetime {
		return ""
	}
	hash, epoch, err := s.opt.Store.DeviceSecret(r.Context(), name)
	if err != nil {
		if !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, hub.ErrUserDisabled) {
			s.opt.Log.Warn("regional device cookie not checked", "user", name, "err", err)
		}
		return ""
	}
	if !hmac.Equal(mac, deviceMAC(hash, epoch, name, id, issued)) {
		return ""
	}
	return id
}
