package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/store"
)

// agentTransport sends every request with the User-Agent ua.
type agentTransport struct{ ua string }

func (a agentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", a.ua)
	return http.DefaultTransport.RoundTrip(r)
}

const firefoxUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

// TestDeviceRevoke: a supervisor's laptop and desk browser logged in
// (two devices recorded, listed on /devices with their browsers); a
// guesser spread over many hosts holds the account at its limit, and
// the laptop is spared it. From the desk, the supervisor revokes the
// laptop (POST with the form token, audited): the laptop is held by the
// limit like any browser, the desk is still spared. A device cookie made
// before the store recorded them counts as none. An operator neither
// sees nor revokes the supervisor's devices; a revoked id is 404; a form
// without its token 403. The laptop, logging in with the password once
// the guesses are a minute old, is recorded anew.
func TestDeviceRevoke(t *testing.T) {
	e := newEnv(t, nil) // AccountLoginLimit 10
	ctx := context.Background()
	if c := e.clientFrom("127.0.0.2"); func() error { _, err := c.hc.Get(e.ts.URL + "/login"); return err }() != nil {
		t.Skip("cannot send from 127.0.0.2 on this system")
	}
	laptop := e.client()
	laptop.login(supName, supPass)
	desk := e.client()
	desk.hc.Transport = agentTransport{firefoxUA}
	desk.login(supName, supPass)
	op := e.client()
	op.login(opName, opPass)

	devs, err := e.db.Devices(ctx, supName)
	if err != nil || len(devs) != 2 {
		t.Fatalf("devices of %s after two logins: %+v, %v", supName, devs, err)
	}
	var lapID int64
	for _, d := range devs {
		if d.Agent == "Go-http-client/1.1" {
			lapID = d.ID
		}
	}
	if lapID == 0 || devs[0].Agent != "Firefox 128 on Windows" {
		t.Fatalf("devices %+v: want the desk's Firefox first and the laptop's Go client", devs)
	}

	// A cookie as markd made them before migration 072: signed, not recorded.
	key, err := e.db.DeviceKey(ctx, supName)
	if err != nil {
		t.Fatal(err)
	}
	legacy := e.client()
	base, _ := url.Parse(e.ts.URL)
	loginURL := &url.URL{Scheme: "http", Host: base.Host, Path: "/login"}
	legacy.hc.Jar.SetCookies(loginURL, []*http.Cookie{devices.New(key, supName, e.clock.Now(), false)})

	for h := range DefaultAccountLoginLimit + 2 {
		e.clientFrom(fmt.Sprintf("127.0.1.%d", h+1)).loginCode(supName, fmt.Sprintf("guess-%d", h))
	}
	if code, _ := e.client().loginCode(supName, supPass); code != http.StatusTooManyRequests {
		t.Fatalf("a new browser during the attack: %d, want 429", code)
	}
	for _, c := range []struct {
		what string
		c    *client
		want int
	}{
		{"the laptop before the revoke", laptop, http.StatusSeeOther},
		{"a device cookie made before devices were recorded", legacy, http.StatusTooManyRequests},
	} {
		if code, _ := c.c.loginCode(supName, supPass); code != c.want {
			t.Errorf("during the attack, %s: %d, want %d", c.what, code, c.want)
		}
	}
	if l, _ := e.db.Devices(ctx, supName); len(l) != 2 {
		t.Errorf("after the laptop's second login: %d devices, want its record renewed (2)", len(l))
	}

	// The page lists them; an operator sees only their own.
	desk.get("/devices")
	_, page := desk.get("/devices")
	for _, want := range []string{"Firefox 128 on Windows", "Go-http-client/1.1", fmt.Sprintf(`action="/devices/%d/revoke"`, lapID), `id="devices-others"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the supervisor's devices page lacks %q", want)
		}
	}
	if _, opPage := op.get("/devices"); strings.Contains(opPage, "Firefox") || strings.Contains(opPage, `id="devices-others"`) {
		t.Error("the operator's devices page shows the supervisor's devices")
	}
	revoke := fmt.Sprintf("/devices/%d/revoke", lapID)
	if code, _ := op.post(revoke, url.Values{"user": {supName}}); code != http.StatusForbidden {
		t.Errorf("an operator revoking the supervisor's device: %d, want 403", code)
	}
	if code, _ := desk.post(revoke, url.Values{"user": {supName}, "csrf": {"wrong"}}); code != http.StatusForbidden {
		t.Errorf("a revoke without the form token: %d, want 403", code)
	}
	if code, _ := desk.post(revoke, url.Values{"user": {supName}}); code != http.StatusSeeOther {
		t.Fatalf("the supervisor revoking the laptop: %d, want 303", code)
	}
	if code, _ := desk.post(revoke, url.Values{"user": {supName}}); code != http.StatusNotFound {
		t.Errorf("revoking it again: %d, want 404", code)
	}
	audit, _ := e.db.RecentAudit(ctx, 5)
	found := false
	for _, a := range audit {
		found = found || a.Action == store.ActionDeviceRevoke && a.Actor == supName && strings.HasPrefix(a.Detail, fmt.Sprintf("%s device %d ", supName, lapID))
	}
	if !found {
		t.Errorf("the revoke not audited: %+v", audit)
	}

	for _, c := range []struct {
		what string
		c    *client
		want int
	}{
		{"the revoked laptop", laptop, http.StatusTooManyRequests},
		{"the desk", desk, http.StatusSeeOther},
	} {
		if code, _ := c.c.loginCode(supName, supPass); code != c.want {
			t.Errorf("during the attack, %s: %d, want %d", c.what, code, c.want)
		}
	}
	e.clock.Add(61 * time.Second)
	if code, _ := laptop.loginCode(supName, supPass); code != http.StatusSeeOther {
		t.Fatalf("the laptop a minute after the guesses: %d, want 303", code)
	}
	l, _ := e.db.Devices(ctx, supName)
	if len(l) != 2 || l[0].ID == lapID || l[1].ID == lapID {
		t.Errorf("after the laptop logged in again: %+v, want a new record", l)
	}
}
