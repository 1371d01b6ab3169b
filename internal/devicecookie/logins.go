package devicecookie

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Book is what a server's store keeps of its device cookies: each device
// recorded by IDHash of its id, D being the store's record of one.
type Book[D any] interface {
	// KnownDevice is name's record of the device idHash; NoDevice (or an
	// error wrapping it) when there is none (never made, revoked).
	KnownDevice(ctx context.Context, name, idHash string) (D, error)
	// RecordDevice records the device idHash of name at a login, renewing
	// the record numbered renew (0: a new device).
	RecordDevice(ctx context.Context, name, idHash, agent string, renew int64, at time.Time) (D, error)
}

// Logins sets and checks the device cookies of one server's logins (the
// counter's web and the collector's hubweb alike); the cookie counts only
// while its device is recorded in the Book. It holds no state: a server
// makes one from its options where it needs it.
type Logins[D any] struct {
	Kind Kind
	Book Book[D]
	// Key is the key name's cookies are signed with (from the account's
	// password hash and epoch).
	Key func(ctx context.Context, name string) ([]byte, error)
	// ID is the number the Book gave a device.
	ID func(D) int64
	// NoKey tells the errors of Key that are answers (no such account, a
	// disabled one), not failures: they are not logged.
	NoKey func(error) bool
	// NoDevice is the Book's error for a device it does not record.
	NoDevice error
	Now      func() time.Time
	Secure   bool // cookies are Secure (served over TLS)
	Log      *slog.Logger
	What     string // how the log names the cookies: "device cookie"
}

// Set gives the browser of a login of name its device cookie: the one it
// logged in with again (its record renewed), else a new one, recorded.
// Without a key or a record (the store failed) it gets none.
func (l *Logins[D]) Set(w http.ResponseWriter, r *http.Request, name string) {
	key, err := l.Key(r.Context(), name)
	if err != nil {
		l.Log.Warn(l.What+" not made", "user", name, "err", err)
		return
	}
	now := l.Now()
	var c *http.Cookie
	known, id := l.Known(r, name)
	if id != "" {
		c = l.Kind.Renew(key, name, id, now, l.Secure)
	} else {
		c, id = l.Kind.Issue(key, name, now, l.Secure)
	}
	if _, err := l.Book.RecordDevice(r.Context(), name, IDHash(id), Agent(r.UserAgent()), l.ID(known), now); err != nil {
		l.Log.Warn(l.What+" not recorded", "user", name, "err", err)
		return
	}
	http.SetCookie(w, c)
}

// Device is the id of r's device cookie of name when it is one made for
// the account as it is now and its device is recorded (not revoked),
// else "".
func (l *Logins[D]) Device(r *http.Request, name string) string {
	_, id := l.Known(r, name)
	return id
}

// Known is the record and the cookie's id of r's device cookie of name,
// or "" (Device).
func (l *Logins[D]) Known(r *http.Request, name string) (D, string) {
	var none D
	id := l.Kind.Check(r, name, l.Now(), func() ([]byte, error) {
		key, err := l.Key(r.Context(), name)
		if err != nil && !l.NoKey(err) {
			l.Log.Warn(l.What+" not checked", "user", name, "err", err)
		}
		return key, err
	})
	if id == "" {
		return none, ""
	}
	d, err := l.Book.KnownDevice(r.Context(), name, IDHash(id))
	if err != nil {
		if !errors.Is(err, l.NoDevice) {
			l.Log.Warn(l.What+" not checked", "user", name, "err", err)
		}
		return none, ""
	}
	return d, id
}
