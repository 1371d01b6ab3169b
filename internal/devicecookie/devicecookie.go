// Package devicecookie makes and checks the device cookies of the
// counter's and the collector's login pages (OWASP "device cookies"): a
// browser that logged in as an account gets a cookie signed with a key
// of that account (derived from its password hash and epoch by the
// caller, so a new password, a disable or a removal voids every one).
// Failed logins of a name from browsers without its device cookie are
// limited per name over all addresses; a browser with one counts against
// its own device only, so a guesser spread over many addresses is slowed
// and the person on their own browser is not locked out by it. The
// callers record each cookie's device (IDHash) and count a cookie only
// while its record is there, so one device can be revoked on its own.
package devicecookie

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Lifetime is how long a device cookie counts after the login that made
// it; each login makes a new one.
const Lifetime = 365 * 24 * time.Hour

// Kind is the cookies of one program: "markd" or "markhub" (the prefix
// of the cookies' names and of what their MACs sign).
type Kind string

// Name is the cookie of name's device cookie: one per account, so the
// operators who share a counter PC's browser do not overwrite the
// supervisor's.
func (k Kind) Name(name string) string {
	h := sha256.Sum256([]byte(name))
	return string(k) + "_device_" + hex.EncodeToString(h[:8])
}

// mac signs the device id of name issued at issued (Unix seconds).
func (k Kind) mac(key []byte, name, id string, issued int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(string(k) + " device cookie v1\x00" + name + "\x00" + id + "\x00" + strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// New is a new device cookie of name (id.issued.mac) signed with key,
// sent with the login form only; secure under TLS.
func (k Kind) New(key []byte, name string, now time.Time, secure bool) *http.Cookie {
	c, _ := k.Issue(key, name, now, secure)
	return c
}

// Issue is New with the device id of the cookie, which the caller records
// (IDHash) so that the one device can be revoked.
func (k Kind) Issue(key []byte, name string, now time.Time, secure bool) (*http.Cookie, string) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	return k.Renew(key, name, id, now, secure), id
}

// Renew is the device cookie of the device id again, issued at now: the
// next login of a recorded device keeps its id (and its row) and starts
// the cookie's Lifetime anew.
func (k Kind) Renew(key []byte, name, id string, now time.Time, secure bool) *http.Cookie {
	issued := now.Unix()
	return &http.Cookie{
		Name:  k.Name(name),
		Value: id + "." + strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(k.mac(key, name, id, issued)),
		Path:  "/login", MaxAge: int(Lifetime / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode,
	}
}

// IDHash is what the stores keep of a device id (hex SHA-256): a copy of
// the database names no cookie that a browser carries.
func IDHash(id string) string {
	h := sha256.Sum256([]byte("device id\x00" + id))
	return hex.EncodeToString(h[:])
}

// Check is the device id of r's device cookie of name when key signed it
// within Lifetime before now, else "". key is asked for only when r
// carries a well-formed cookie of that name (it reads the store); a key
// error is "" as well.
func (k Kind) Check(r *http.Request, name string, now time.Time, key func() ([]byte, error)) string {
	c, err := r.Cookie(k.Name(name))
	if err != nil || c.Value == "" {
		return ""
	}
	id, rest, ok1 := strings.Cut(c.Value, ".")
	at, sig, ok2 := strings.Cut(rest, ".")
	issued, err := strconv.ParseInt(at, 10, 64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok1 || !ok2 || id == "" || err != nil || err2 != nil || now.Sub(time.Unix(issued, 0)) > Lifetime {
		return ""
	}
	kb, err := key()
	if err != nil || !hmac.Equal(mac, k.mac(kb, name, id, issued)) {
		return ""
	}
	return id
}
