package hubweb

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: the page markhub's login sends the browser to (the next
// field of the form, anyone's link) is on this site: "/" or the path
// given, never another host however a browser reads it.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"", "/", "/alerts?state=open", "//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example",
		"javascript:alert(1)", "/%2F%2Fevil.example", "/ /evil", "/\x00", "\\\\evil.example", "/:x"} {
		f.Add(s)
	}
	site, _ := url.Parse("https://hub.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the page given nor /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q: not a URL: %v", next, got, err)
		}
		if to := site.ResolveReference(u); to.Host != site.Host || to.Scheme != site.Scheme {
			t.Fatalf("safeNext(%q) = %q goes to %s", next, got, to)
		}
	})
}
