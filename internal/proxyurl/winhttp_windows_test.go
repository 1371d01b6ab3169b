package proxyurl

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// underWine says whether this Windows is wine (its own registry key):
// the test below writes the machine's WinHTTP proxy, which it may only
// do on a throw-away wine prefix, never on a real counter or a
// developer's Windows.
func underWine() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Wine`, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	k.Close()
	return true
}

// TestWindowsSystemWinHTTP: the value netsh winhttp set proxy writes,
// written here with the registry API as netsh does, is read back by
// SystemWinHTTP (the function the sync client calls); no value is no
// proxy; a value cut short is ErrWinHTTP. Run under wine by
// scripts/wine-test.sh. Before, the WinHTTP proxy was not read at all.
func TestWindowsSystemWinHTTP(t *testing.T) {
	if !underWine() {
		t.Skip("writes the machine's WinHTTP proxy: only under wine (scripts/wine-test.sh)")
	}
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, WinHTTPKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	saved, _, savedErr := k.GetBinaryValue(WinHTTPValue)
	t.Cleanup(func() {
		if savedErr == nil {
			k.SetBinaryValue(WinHTTPValue, saved) //nolint:errcheck // put back
		} else {
			k.DeleteValue(WinHTTPValue) //nolint:errcheck // there was none
		}
	})

	// none: no value
	if err := k.DeleteValue(WinHTTPValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
		t.Fatal(err)
	}
	if w, ok, err := SystemWinHTTP(); ok || err != nil {
		t.Fatalf("SystemWinHTTP without the value = %+v, %v, %v; want none", w, ok, err)
	}

	// netsh winhttp set proxy proxy-server="https=proxy.corp:3128" bypass-list="<local>;*.corp"
	set := blob(0x18, 1, 3, "https=proxy.corp:3128", "<local>;*.corp")
	if err := k.SetBinaryValue(WinHTTPValue, set); err != nil {
		t.Fatal(err)
	}
	w, ok, err := SystemWinHTTP()
	want := WinHTTP{Version: 0x18, Counter: 1, Flags: 3, Proxy: "https=proxy.corp:3128", Bypass: "<local>;*.corp"}
	if !ok || err != nil || w != want {
		t.Fatalf("SystemWinHTTP = %+v, %v, %v; want %+v", w, ok, err, want)
	}
	if p, err := w.HTTPSProxy(); p != "http://proxy.corp:3128" || err != nil || !w.Bypassed("hub.corp", "443") {
		t.Fatalf("HTTPSProxy = %q, %v; bypass of hub.corp %v", p, err, w.Bypassed("hub.corp", "443"))
	}

	// netsh winhttp reset proxy
	if err := k.SetBinaryValue(WinHTTPValue, blob(0x18, 2, 1, "", "")); err != nil {
		t.Fatal(err)
	}
	if w, ok, err := SystemWinHTTP(); !ok || err != nil {
		t.Fatalf("SystemWinHTTP of direct access = %+v, %v, %v", w, ok, err)
	} else if p, _ := w.HTTPSProxy(); p != "" {
		t.Fatalf("direct access gives proxy %q", p)
	}

	// a value cut short
	if err := k.SetBinaryValue(WinHTTPValue, set[:20]); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := SystemWinHTTP(); ok || !errors.Is(err, ErrWinHTTP) {
		t.Fatalf("SystemWinHTTP of a cut value: %v, %v; want ErrWinHTTP", ok, err)
	}
}
