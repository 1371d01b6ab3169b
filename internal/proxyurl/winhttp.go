package proxyurl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
)

// The machine's WinHTTP proxy, what `netsh winhttp set proxy` writes and
// what Windows services (Windows Update, LocalSystem programs) go
// through: the binary value WinHTTPValue under HKEY_LOCAL_MACHINE\WinHTTPKey.
const (
	WinHTTPKey   = `SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections`
	WinHTTPValue = "WinHttpSettings"
)

// ErrWinHTTP is a WinHttpSettings value that cannot be read: shorter than
// its fields say, or a list that is not printable ASCII.
var ErrWinHTTP = errors.New("the WinHTTP proxy setting (WinHttpSettings) cannot be read")

// winHTTPProxySet is the flag of a proxy set by `netsh winhttp set proxy`
// (1 alone, always set, is "direct access").
const winHTTPProxySet = 2

// WinHTTP is a WinHttpSettings value read: its version (0x18 as netsh
// writes it), change counter and flags, then the proxy list (one proxy,
// "host:port", or one per scheme, "http=h:p;https=h2:p2") and the bypass
// list ("<local>;*.corp;10.*"), each as a little-endian 32-bit length
// and that many ASCII bytes. What a later Windows adds after the bypass
// list is not read.
type WinHTTP struct {
	Version, Counter, Flags uint32
	Proxy, Bypass           string
}

// ParseWinHTTP reads a WinHttpSettings value.
func ParseWinHTTP(b []byte) (WinHTTP, error) {
	var w WinHTTP
	if len(b) < 12 {
		return w, fmt.Errorf("%d bytes, shorter than the 12 of its version, counter and flags: %w", len(b), ErrWinHTTP)
	}
	w.Version = binary.LittleEndian.Uint32(b)
	w.Counter = binary.LittleEndian.Uint32(b[4:])
	w.Flags = binary.LittleEndian.Uint32(b[8:])
	at := 12
	for _, f := range []struct {
		name string
		dst  *string
	}{{"proxy list", &w.Proxy}, {"bypass list", &w.Bypass}} {
		if at == len(b) {
			break // a value that ends here has no more lists
		}
		if len(b)-at < 4 {
			return w, fmt.Errorf("%d bytes: the %s's length at byte %d is cut short: %w", len(b), f.name, at, ErrWinHTTP)
		}
		n := binary.LittleEndian.Uint32(b[at:])
		at += 4
		if uint64(n) > uint64(len(b)-at) {
			return w, fmt.Errorf("%d bytes: the %s at byte %d says %d bytes, %d are left: %w", len(b), f.name, at, n, len(b)-at, ErrWinHTTP)
		}
		s := b[at : at+int(n)]
		for i, c := range s {
			if c < 0x20 || c > 0x7e {
				return w, fmt.Errorf("the %s has byte 0x%02x at byte %d, not printable ASCII: %w", f.name, c, at+i, ErrWinHTTP)
			}
		}
		*f.dst = string(s)
		at += int(n)
	}
	if w.Flags&winHTTPProxySet != 0 && w.Proxy == "" {
		return w, fmt.Errorf("flags 0x%x say a proxy is set and the proxy list is empty: %w", w.Flags, ErrWinHTTP)
	}
	return w, nil
}

// Bytes is w as a WinHttpSettings value (the layout ParseWinHTTP reads).
func (w WinHTTP) Bytes() []byte {
	b := binary.LittleEndian.AppendUint32(nil, w.Version)
	b = binary.LittleEndian.AppendUint32(b, w.Counter)
	b = binary.LittleEndian.AppendUint32(b, w.Flags)
	for _, s := range []string{w.Proxy, w.Bypass} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// listFields splits a WinHTTP list: its entries are separated by
// semicolons or white space (commas too, as some tools write them).
func listFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })
}

// HTTPSProxy is the proxy w gives an https request, as a proxy URL
// ("http://host:port"); "" when none (direct access set, or a list with
// proxies for other schemes only). A proxy list entry that is no proxy
// URL is an error naming it.
func (w WinHTTP) HTTPSProxy() (string, error) {
	if w.Flags&winHTTPProxySet == 0 {
		return "", nil
	}
	general := ""
	for _, e := range listFields(w.Proxy) {
		scheme, server, per := strings.Cut(e, "=")
		if !per {
			server = e
		}
		switch {
		case per && strings.EqualFold(scheme, "https"):
			return proxyURL(server)
		case !per && general == "":
			general = server
		}
	}
	if general == "" {
		return "", nil
	}
	return proxyURL(general)
}

// proxyURL is a WinHTTP proxy server ("host[:port]", or with its scheme)
// as a proxy URL.
func proxyURL(server string) (string, error) {
	u := server
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	if why := Why(u); why != "" {
		return "", fmt.Errorf("proxy %q: %s: %w", Redact(server), why, ErrWinHTTP)
	}
	return strings.TrimSuffix(u, "/"), nil
}

// Bypassed says whether the bypass list sends host (a name or an IP,
// without brackets) on port straight, not through the proxy: an entry
// naming it, with * for any characters ("*.corp", "10.*"), with or
// without a scheme and a port; <local>: a name without a dot. Names are
// compared without regard to case.
func (w WinHTTP) Bypassed(host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	hostPort := net.JoinHostPort(host, port)
	for _, e := range listFields(strings.ToLower(w.Bypass)) {
		if e == "<local>" {
			if !strings.ContainsAny(host, ".:") {
				return true
			}
			continue
		}
		if _, rest, ok := strings.Cut(e, "://"); ok {
			e = rest
		}
		target := host
		if h, p, err := net.SplitHostPort(e); err == nil && p != "" && !strings.Contains(p, "*") {
			e, target = net.JoinHostPort(h, p), hostPort
		}
		if wildMatch(strings.Trim(e, "[]"), strings.Trim(target, "[]")) {
			return true
		}
	}
	return false
}

// wildMatch matches s against pattern, where * stands for any run of
// characters (none too).
func wildMatch(pattern, s string) bool {
	star, mark := -1, 0
	p, i := 0, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
