package devicecookie

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAgent(t *testing.T) {
	for _, c := range []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge 131 on Windows"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Linux"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iPhone"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.4.0.0 Safari/537.36", "Yandex Browser 24 on Windows"},
		{"Go-http-client/1.1", "Go-http-client/1.1"},
		{"", ""},
		{"  ", ""},
		{"curl/8.5\x1b[2J\u202eevil\x00", "curl/8.5?[2J?evil?"},
		{"bad \xff byte", "bad ? byte"},
		{strings.Repeat("я", 200), strings.Repeat("я", MaxAgent) + "…"},
	} {
		got := Agent(c.ua)
		if got != c.want {
			t.Errorf("Agent(%q) = %q, want %q", c.ua, got, c.want)
		}
		if utf8.RuneCountInString(got) > MaxAgent+1 || !utf8.ValidString(got) {
			t.Errorf("Agent(%q) = %q: longer than %d characters or not UTF-8", c.ua, got, MaxAgent)
		}
	}
}

func TestIssueIDChecks(t *testing.T) {
	const kind = Kind("markd")
	key := []byte("0123456789abcdef0123456789abcdef")
	c, id := kind.Issue(key, "anna", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), false)
	if !strings.HasPrefix(c.Value, id+".") || len(IDHash(id)) != 64 || IDHash(id) == IDHash(id+"x") {
		t.Fatalf("Issue gave %q with id %q (hash %q)", c.Value, id, IDHash(id))
	}
}
