package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"markd/mark"
	"markd/store"
)

// Device cookies (OWASP "device cookies"): a browser that logged in as an
// account gets a cookie signed with the account's device key
// (store.DB.DeviceKey: from its password hash and epoch, so a new
// password, a disable or a removal ends every one of them). Failed logins
// of a name from browsers without its device cookie are limited per name
// over all addresses (Options.AccountLoginLimit); a browser with one
// counts against its own device only. A password guesser spread over many
// addresses is slowed, and the person on their own browser is not locked
// out by it.

// deviceLifetime is how long a device cookie counts after the login that
// made it; each login makes a new one.
const deviceLifetime = 365 * 24 * time.Hour

// deviceCookieName is the cookie of name's device cookie: one per account,
// so the operators who share a counter PC's browser do not overwrite the
// supervisor's.
func deviceCookieName(name string) string {
	h := sha256.Sum256([]byte(name))
	return "markd_device_" + hex.EncodeToString(h[:8])
}

// deviceMAC signs the device id of name issued at issued (Unix seconds).
func deviceMAC(key []byte, name, id string, issued int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("markd device cookie v1\x00" + name + "\x00" + id + "\x00" + strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// setDevice gives the browser of the login of u a new device cookie
// (id.issued.mac). Without a key (the store failed) it gets none: the
// account limit then applies to it as to any other browser.
func (s *Server) setDevice(w http.ResponseWriter, r *http.Request, name string) {
	key, err := s.opt.Store.DeviceKey(r.Context(), name)
	if err != nil {
		s.log.Warn("device cookie not made", "user", name, "err", err)
		return
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	issued := s.opt.Now().Unix()
	http.SetCookie(w, &http.Cookie{
		Name:  deviceCookieName(name),
		Value: id + "." + strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(key, name, id, issued)),
		// Sent with the login form only.
		Path: "/login", MaxAge: int(deviceLifetime / time.Second),
		HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode,
	})
}

// device is the id of r's device cookie of name when it is one this
// server made for the account as it is now, else "". It reads the store
// only for a request with a cookie of that name.
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
	key, err := s.opt.Store.DeviceKey(r.Context(), name)
	if err != nil {
		if !errors.Is(err, mark.ErrNotFound) && !errors.Is(err, store.ErrUserDisabled) {
			s.log.Warn("device cookie not checked", "user", name, "err", err)
		}
		return ""
	}
	if !hmac.Equal(mac, deviceMAC(key, name, id, issued)) {
		return ""
	}
	return id
}
