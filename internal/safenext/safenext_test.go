package safenext

import (
	"net/url"
	"strings"
	"testing"
)

func TestPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/review?state=pending", "/review?state=pending"},
		{"/alerts?state=open#x", "/alerts?state=open#x"},
		{"review", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"/\x00", "/"},
		{"/\x7f", "/"},
		{"https://evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"},
	} {
		if got := Path(c.in); got != c.want {
			t.Errorf("Path(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzPath: the page given or "/", never another host however a browser
// reads it.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"", "/", "/alerts?state=open", "//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example",
		"javascript:alert(1)", "/%2F%2Fevil.example", "/ /evil", "/\x00", "\\\\evil.example", "/:x"} {
		f.Add(s)
	}
	site, _ := url.Parse("https://hub.example/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := Path(next)
		if got != "/" && got != next {
			t.Fatalf("Path(%q) = %q: neither the page given nor /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("Path(%q) = %q leaves the site", next, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("Path(%q) = %q: not a URL: %v", next, got, err)
		}
		if to := site.ResolveReference(u); to.Host != site.Host || to.Scheme != site.Scheme {
			t.Fatalf("Path(%q) = %q goes to %s", next, got, to)
		}
	})
}
