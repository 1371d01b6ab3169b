// Package safenext keeps the page a login sends a browser on to (the
// "next" of a login or language form, anyone's link) on the site that
// served the form: both servers' login pages use it.
package safenext

import (
	"net/url"
	"strings"
)

// Path returns next when it is a path on this site, else "/": no scheme
// or host, not "//…", no backslash or control character (browsers drop
// tabs and newlines and read '\' as '/', which would turn "/\t/evil" or
// "/\evil" into "//evil").
func Path(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
