// Package proxyurl reads the forward proxy to the collector (sync.proxy)
// the one way both the config check and the sync client need: what is
// wrong with a value, and the value fit for a log or an error; and the
// machine's WinHTTP proxy (Windows), the sync client's last choice.
package proxyurl

import (
	"net/url"
	"strconv"
	"strings"
)

// None is the value that sends straight to the collector, whatever
// HTTPS_PROXY says.
const None = "none"

// Why is what is wrong with a proxy value, "" when nothing ("" and None
// are fine: the environment's proxy, no proxy).
func Why(p string) string {
	if p == "" || p == None {
		return ""
	}
	const form = "must be http://[user:password@]host[:port] or https://…, or none (no proxy, whatever HTTPS_PROXY says); unset uses HTTPS_PROXY/NO_PROXY, on Windows then the WinHTTP proxy"
	u, err := url.Parse(p)
	switch {
	case err != nil:
		return "not a URL: " + form
	case u.Scheme != "http" && u.Scheme != "https":
		return "the scheme " + strconv.Quote(u.Scheme) + " is not http or https: " + form
	case u.Hostname() == "":
		return "no host: " + form
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "a proxy URL has no path: " + form
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "the port must be 1..65535"
		}
	}
	return ""
}

// Redact is a proxy value fit for an error or a log: its password
// replaced by xxxxx (no URL with a user, such as ivan:pw@host: everything
// up to the last @).
func Redact(p string) string {
	if u, err := url.Parse(p); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(p, "@"); i >= 0 {
		return "xxxxx@" + p[i+1:]
	}
	return p
}
