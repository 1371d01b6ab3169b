package devicecookie

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzCheck sends arbitrary device cookie values: Check takes only the
// device id of a cookie the key signed for that name (the one New made;
// another spelling of its numbers or base64 may read back as it), within
// Lifetime, and asks for the key only for a well-formed value.
func FuzzCheck(f *testing.F) {
	const kind = Kind("markd")
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// as New makes it, with a fixed id: every fuzz process has the seeds
	const id = "hoqrp1i2lFFvdrAjnI8diw"
	made := &http.Cookie{Value: id + "." + strconv.FormatInt(now.Unix(), 10) + "." +
		base64.RawURLEncoding.EncodeToString(kind.mac(key, "anna", id, now.Unix()))}
	if n := kind.New(key, "anna", now, false); strings.Count(n.Value, ".") != 2 || len(n.Value) != len(made.Value) {
		f.Fatalf("New made %q, not of the form %q", n.Value, made.Value)
	}
	for _, v := range []string{made.Value, "", ".", "..", "x.1.", made.Value + "A", strings.Replace(made.Value, ".", ".+", 1),
		"x." + strings.Repeat("9", 30) + ".AAAA", id + ".-1.AAAA"} {
		f.Add(v, "anna", int64(0))
		f.Add(v, "boris", int64(3600))
	}
	f.Add(made.Value, "anna", int64(Lifetime/time.Second)+1)
	f.Fuzz(func(t *testing.T, value, name string, later int64) {
		r := httptest.NewRequest("GET", "/login", nil)
		r.AddCookie(&http.Cookie{Name: kind.Name(name), Value: value})
		at := now.Add(time.Duration(later%(1<<32)) * time.Second)
		asked := false
		got := kind.Check(r, name, at, func() ([]byte, error) { asked = true; return key, nil })
		if got == "" {
			return
		}
		if !asked || name != "anna" || got != id || at.Sub(now) > Lifetime {
			t.Fatalf("Check(%q, %q, +%ds) = %q (key asked: %v): taken, but only %q of anna until %v is signed",
				value, name, later, got, asked, id, now.Add(Lifetime))
		}
		// a key that cannot be read takes nothing
		if kind.Check(r, name, at, func() ([]byte, error) { return nil, errors.New("store closed") }) != "" {
			t.Fatalf("Check(%q) without a key took it", value)
		}
	})
}
