package sync

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestProxyLoggedAtStart: the sync service logs once at start the way to
// the collector: the proxy's host:port (never its password), "none" or
// "direct", and which setting chose it. Before, nothing said which proxy
// the upload used, if any.
func TestProxyLoggedAtStart(t *testing.T) {
	const collector = "https://collector.test:8443"
	tests := []struct {
		name, proxy, env, noProxy string
		want                      []string
	}{
		{"sync.proxy", "http://ivan:s3cret@proxy.corp:3128", "http://env.corp:1", "",
			[]string{"proxy=proxy.corp:3128", "proxy_source=sync.proxy"}},
		{"sync.proxy without a port", "http://proxy.corp", "", "", []string{"proxy=proxy.corp:80", "proxy_source=sync.proxy"}},
		{"none", ProxyNone, "http://env.corp:1", "", []string{"proxy=none", "proxy_source=sync.proxy"}},
		{"HTTPS_PROXY", "", "http://ivan:s3cret@env.corp:8080", "", []string{"proxy=env.corp:8080", "proxy_source=HTTPS_PROXY"}},
		{"NO_PROXY names the collector", "", "http://env.corp:8080", ".test",
			[]string{"proxy=direct", "proxy_source=HTTPS_PROXY", `direct_because="NO_PROXY names collector.test"`}},
		{"nothing set", "", "", "", []string{"proxy=direct", "proxy_source=none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", tt.env)
			t.Setenv("https_proxy", "")
			t.Setenv("NO_PROXY", tt.noProxy)
			t.Setenv("no_proxy", "")
			var logs lockedBuffer
			o := Options{Client: ClientOptions{URL: collector, Token: "t", Proxy: tt.proxy}}
			if _, err := New(context.Background(), openCounter(t), o, nil, slog.New(slog.NewTextHandler(&logs, nil)), nil); err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "the way to the collector") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				t.Fatalf("%d lines naming the way to the collector, want 1: %s", len(lines), logs.String())
			}
			for _, w := range append(tt.want, "collector=collector.test:8443") {
				if !strings.Contains(lines[0], w) {
					t.Errorf("log %q: no %s", lines[0], w)
				}
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Errorf("the password in the log: %s", logs.String())
			}
		})
	}
}
