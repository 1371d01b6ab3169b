package proxyurl

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// blob builds a WinHttpSettings value field by field as the layout says:
// version, counter, flags, then each list as its 32-bit little-endian
// length and its bytes (lists nil: the value ends after the flags).
func blob(version, counter, flags uint32, lists ...string) []byte {
	var b []byte
	for _, v := range []uint32{version, counter, flags} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, s := range lists {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseWinHTTP: the values netsh writes (direct access, a proxy with
// a bypass list, one proxy per scheme) are read; a value shorter than
// its fields say, or with a list that is not ASCII, is ErrWinHTTP naming
// the byte.
func TestParseWinHTTP(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    WinHTTP
		wantErr string
	}{
		// netsh winhttp reset proxy (docs: "Data (for Direct Access or No Proxy)")
		{"direct access", unhex(t, "1800000000000000010000000000000000000000"), WinHTTP{Version: 0x18, Flags: 1}, ""},
		{"proxy and bypass", blob(0x18, 5, 3, "proxy.corp:3128", "<local>;*.corp"),
			WinHTTP{Version: 0x18, Counter: 5, Flags: 3, Proxy: "proxy.corp:3128", Bypass: "<local>;*.corp"}, ""},
		{"per scheme", blob(0x18, 0, 3, "http=a:80;https=b:8443", ""),
			WinHTTP{Version: 0x18, Flags: 3, Proxy: "http=a:80;https=b:8443"}, ""},
		{"no bypass list", blob(0x18, 0, 3, "proxy:8080"), WinHTTP{Version: 0x18, Flags: 3, Proxy: "proxy:8080"}, ""},
		{"header only", blob(0x18, 0, 1), WinHTTP{Version: 0x18, Flags: 1}, ""},
		{"more after the lists", append(blob(0x18, 0, 3, "p:1", "x"), 0, 0, 0, 0, 9), WinHTTP{Version: 0x18, Flags: 3, Proxy: "p:1", Bypass: "x"}, ""},
		{"empty", nil, WinHTTP{}, "0 bytes, shorter than the 12"},
		{"cut header", unhex(t, "1800000000000000010000"), WinHTTP{}, "11 bytes, shorter than the 12"},
		{"cut length", append(blob(0x18, 0, 3, "p:1"), 1, 0), WinHTTP{}, "the bypass list's length at byte 19 is cut short"},
		{"list longer than the value", blob(0x18, 0, 3, "p:1")[:18], WinHTTP{}, "the proxy list at byte 16 says 3 bytes, 2 are left"},
		{"huge length", append(blob(0x18, 0, 3), 0xff, 0xff, 0xff, 0xff, 'a'), WinHTTP{}, "says 4294967295 bytes, 1 are left"},
		{"not ASCII", blob(0x18, 0, 3, "pr\xd0xy:1"), WinHTTP{}, "byte 0xd0 at byte 18"},
		{"line end", blob(0x18, 0, 3, "p:1", "a\nb"), WinHTTP{}, "the bypass list has byte 0x0a at byte 24"},
		{"proxy set, none named", blob(0x18, 0, 3, "", ""), WinHTTP{}, "say a proxy is set and the proxy list is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWinHTTP(tt.b)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrWinHTTP) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseWinHTTP(%x): %v, want ErrWinHTTP saying %q", tt.b, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseWinHTTP(%x) = %+v, %v; want %+v", tt.b, got, err, tt.want)
			}
		})
	}
}

// TestWinHTTPProxy: the proxy an https request takes (the https= entry,
// else the entry for every scheme; none with direct access or proxies for
// other schemes only) and the bypass list (names, * patterns, ports,
// <local>).
func TestWinHTTPProxy(t *testing.T) {
	proxies := []struct {
		flags         uint32
		list, want    string
		wantErrSubstr string
	}{
		{3, "proxy.corp:3128", "http://proxy.corp:3128", ""},
		{3, "proxy.corp", "http://proxy.corp", ""},
		{3, "http=a:80;https=b:8443", "http://b:8443", ""},
		{3, "https=b:8443 http=a:80", "http://b:8443", ""},
		{3, "http=a:80", "", ""},
		{3, "socks=s:1080;c:3128", "http://c:3128", ""},
		{3, "https=https://tls.corp:443", "https://tls.corp:443", ""},
		{3, "http://plain.corp:8080", "http://plain.corp:8080", ""},
		{1, "proxy.corp:3128", "", ""}, // direct access: the list is left from before
		{3, "https=:8080", "", "no host"},
		{3, "https=b:99999", "", "port must be"},
		{3, "https=socks5://s:1080", "", "scheme"},
		{3, "https=ivan:s3cret@b:8080/x", "", "no path"},
	}
	for _, tt := range proxies {
		got, err := WinHTTP{Flags: tt.flags, Proxy: tt.list}.HTTPSProxy()
		if tt.wantErrSubstr != "" {
			if !errors.Is(err, ErrWinHTTP) || !strings.Contains(err.Error(), tt.wantErrSubstr) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("HTTPSProxy(%d, %q): %q, %v; want ErrWinHTTP saying %q, no password", tt.flags, tt.list, got, err, tt.wantErrSubstr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("HTTPSProxy(%d, %q) = %q, %v; want %q", tt.flags, tt.list, got, err, tt.want)
		}
	}
	bypass := []struct {
		list, host, port string
		want             bool
	}{
		{"<local>", "collector", "443", true},
		{"<local>", "collector.corp", "443", false},
		{"<local>", "::1", "443", false},
		{"*.corp", "hub.corp", "443", true},
		{"*.corp", "hub.corp.example", "443", false},
		{"*.CORP", "Hub.Corp", "443", true},
		{"hub.corp", "hub.corp", "443", true},
		{"hub.corp", "www.hub.corp", "443", false},
		{"10.*", "10.1.2.3", "443", true},
		{"10.*", "110.1.2.3", "443", false},
		{"hub.corp:8443", "hub.corp", "8443", true},
		{"hub.corp:8443", "hub.corp", "443", false},
		{"https://hub.corp", "hub.corp", "443", true},
		{"a.example; b.example ,c.example", "c.example", "443", true},
		{"[fe80::1]", "fe80::1", "443", true},
		{"*", "anything.example", "443", true},
		{"", "hub.corp", "443", false},
		{"*hub*corp", "my-hub.in.corp", "443", true},
	}
	for _, tt := range bypass {
		if got := (WinHTTP{Bypass: tt.list}).Bypassed(tt.host, tt.port); got != tt.want {
			t.Errorf("Bypassed(%q; %s:%s) = %v, want %v", tt.list, tt.host, tt.port, got, tt.want)
		}
	}
}

// FuzzParseWinHTTP: any bytes are read or refused with ErrWinHTTP, never
// a panic; a value read is written back by Bytes and read again the same,
// and its proxy and bypass list answer without a panic.
func FuzzParseWinHTTP(f *testing.F) {
	f.Add(blob(0x18, 0, 1, "", ""))
	f.Add(blob(0x18, 7, 3, "http=a:80;https=b:8443", "<local>;*.corp;10.*"))
	f.Add(blob(0x18, 0, 3, "proxy:8080"))
	f.Add([]byte{0x18, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWinHTTP(b)
		if err != nil {
			if !errors.Is(err, ErrWinHTTP) {
				t.Fatalf("ParseWinHTTP(%x): %v, not ErrWinHTTP", b, err)
			}
			return
		}
		again, err := ParseWinHTTP(w.Bytes())
		if err != nil || again != w {
			t.Fatalf("ParseWinHTTP(Bytes of %+v) = %+v, %v", w, again, err)
		}
		if p, err := w.HTTPSProxy(); err == nil && p != "" && Why(p) != "" {
			t.Fatalf("HTTPSProxy of %+v = %q: %s", w, p, Why(p))
		}
		w.Bypassed("hub.corp", "443")
		w.Bypassed("10.0.0.1", "8443")
	})
}
