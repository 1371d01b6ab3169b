package hubweb_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"markd/hub"
	"markd/internal/devicecookie"
)

// page GETs path in b and returns the status, the body and its form token.
func (b *guessBrowser) page(path string) (int, string, string) {
	b.t.Helper()
	res, err := b.hc.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := ""
	if m := csrfField.FindSubmatch(body); m != nil {
		csrf = string(m[1])
	}
	return res.StatusCode, string(body), csrf
}

// postForm posts form to path in b and returns the status.
func (b *guessBrowser) postForm(path string, form url.Values) int {
	b.t.Helper()
	res, err := b.hc.PostForm(b.url+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestDeviceRevoke: a regional account's laptop and desk browser logged
// in (two devices recorded); a guesser spread over many hosts holds the
// account at its limit, the laptop is spared it. From the desk the
// person revokes the laptop on the devices page (POST with the form
// token, logged): the laptop is held by the limit like any browser, the
// desk still spared. A device cookie made before migration 062 counts as
// none; another account's device id or a revoked one is 404, a form
// without its token 403. On both backends.
func TestDeviceRevoke(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			e := newGuessEnv(t, backend)
			reg, pages, ts, log := e.reg, e.pages, e.ts, e.log
			const other, otherPass = otherSup, otherSupPass
			laptop, desk, ob := newGuessBrowser(t, ts.URL, "127.0.0.1"), newGuessBrowser(t, ts.URL, "127.0.0.1"), newGuessBrowser(t, ts.URL, "127.0.0.1")
			for _, b := range []struct {
				b          *guessBrowser
				name, pass string
			}{{laptop, supName, supPass}, {desk, supName, supPass}, {ob, other, otherPass}} {
				if code, _ := b.b.login(b.name, b.pass); code != http.StatusSeeOther {
					t.Fatalf("login of %s: %d", b.name, code)
				}
			}
			lapCookie := laptop.device(supName)
			lapID, _, _ := strings.Cut(lapCookie.Value, ".")
			lap, err := reg.KnownDevice(ctx, supName, devicecookie.IDHash(lapID))
			if err != nil {
				t.Fatalf("the laptop's device not recorded: %v", err)
			}
			others, _ := reg.Devices(ctx, other)
			if l, _ := reg.Devices(ctx, supName); len(l) != 2 || len(others) != 1 {
				t.Fatalf("devices: %d of %s, %d of %s; want 2 and 1", len(l), supName, len(others), other)
			}
			legacyCookie, err := pages.UnrecordedDeviceCookie(supName)
			if err != nil {
				t.Fatal(err)
			}
			legacy := newGuessBrowser(t, ts.URL, "127.0.0.1")
			u, _ := url.Parse(ts.URL + "/login")
			legacy.hc.Jar.SetCookies(u, []*http.Cookie{legacyCookie})

			for h := range hub.DefaultLoginAccountLimit + 2 {
				newGuessBrowser(t, ts.URL, fmt.Sprintf("127.0.1.%d", h+1)).login(supName, fmt.Sprintf("guess-%d", h))
			}
			for _, c := range []struct {
				what string
				b    *guessBrowser
				want int
			}{
				{"a new browser", newGuessBrowser(t, ts.URL, "127.0.0.1"), http.StatusTooManyRequests},
				{"the laptop before the revoke", laptop, http.StatusSeeOther},
				{"a device cookie made before devices were recorded", legacy, http.StatusTooManyRequests},
			} {
				if code, _ := c.b.login(supName, supPass); code != c.want {
					t.Errorf("during the attack, %s: %d, want %d", c.what, code, c.want)
				}
			}

			code, body, csrf := desk.page("/devices")
			if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`action="/devices/%d/revoke"`, lap.ID)) ||
				strings.Contains(body, fmt.Sprintf(`action="/devices/%d/revoke"`, others[0].ID)) {
				t.Fatalf("the devices page (%d) lacks the laptop or shows another account's device:\n%s", code, body)
			}
			revoke := fmt.Sprintf("/devices/%d/revoke", lap.ID)
			for _, c := range []struct {
				what string
				path string
				csrf string
				want int
			}{
				{"without the form token", revoke, "wrong", http.StatusForbidden},
				{"another account's device", fmt.Sprintf("/devices/%d/revoke", others[0].ID), csrf, http.StatusNotFound},
				{"the laptop", revoke, csrf, http.StatusSeeOther},
				{"the laptop again", revoke, csrf, http.StatusNotFound},
			} {
				if got := desk.postForm(c.path, url.Values{"csrf": {c.csrf}}); got != c.want {
					t.Errorf("revoke %s: %d, want %d", c.what, got, c.want)
				}
			}
			if !strings.Contains(log.String(), "regional device revoked") {
				t.Errorf("the revoke not logged:\n%s", log.String())
			}
			if l, _ := reg.Devices(ctx, other); len(l) != 1 {
				t.Errorf("the other account lost its device")
			}
			for _, c := range []struct {
				what string
				b    *guessBrowser
				want int
			}{
				{"the revoked laptop", laptop, http.StatusTooManyRequests},
				{"the desk", desk, http.StatusSeeOther},
			} {
				if code, _ := c.b.login(supName, supPass); code != c.want {
					t.Errorf("during the attack, %s: %d, want %d", c.what, code, c.want)
				}
			}
		})
	}
}
