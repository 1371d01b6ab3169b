package sync

import (
	"context"
	"fmt"
	"log/slog"
	"markd/internal/syncbuf"
	"strings"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/internal/proxyurl"
	"markd/mark"
)

// withWinHTTP makes the machine's WinHTTP proxy setting w (ok false:
// none) for the test: the registry is Windows only; there the real
// reading is TestWindowsSystemWinHTTP of internal/proxyurl.
func withWinHTTP(t *testing.T, w proxyurl.WinHTTP, ok bool) {
	t.Helper()
	withWinHTTPErr(t, w, ok, nil)
}

// withWinHTTPErr is withWinHTTP with the error of the registry's read.
func withWinHTTPErr(t *testing.T, w proxyurl.WinHTTP, ok bool, err error) {
	t.Helper()
	old := systemProxy
	systemProxy = func() (proxyurl.WinHTTP, bool, error) { return w, ok, err }
	t.Cleanup(func() { systemProxy = old })
}

// TestProxyLoggedAtStart: the sync service logs once at start the way to
// the collector: the proxy's host:port (never its password), "none" or
// "direct", and which setting chose it. Before, nothing said which proxy
// the upload used, if any.
func TestProxyLoggedAtStart(t *testing.T) {
	const collector = "https://collector.test:8443"
	tests := []struct {
		name, proxy, env, noProxy string
		win                       *proxyurl.WinHTTP
		winErr                    error
		want                      []string
	}{
		{"sync.proxy", "http://ivan:s3cret@proxy.corp:3128", "http://env.corp:1", "", nil, nil,
			[]string{"proxy=proxy.corp:3128", "proxy_source=sync.proxy"}},
		{"sync.proxy without a port", "http://proxy.corp", "", "", nil, nil, []string{"proxy=proxy.corp:80", "proxy_source=sync.proxy"}},
		{"none", ProxyNone, "http://env.corp:1", "", nil, nil, []string{"proxy=none", "proxy_source=sync.proxy"}},
		{"HTTPS_PROXY", "", "http://ivan:s3cret@env.corp:8080", "", nil, nil, []string{"proxy=env.corp:8080", "proxy_source=HTTPS_PROXY"}},
		{"NO_PROXY names the collector", "", "http://env.corp:8080", ".test", nil, nil,
			[]string{"proxy=direct", "proxy_source=HTTPS_PROXY", `direct_because="NO_PROXY names collector.test"`}},
		{"nothing set", "", "", "", nil, nil, []string{"proxy=direct", "proxy_source=none"}},
		{"WinHTTP", "", "", "", &proxyurl.WinHTTP{Flags: 3, Proxy: "http=a:80;https=win.corp:3128", Bypass: "<local>"}, nil,
			[]string{"proxy=win.corp:3128", "proxy_source=WinHTTP"}},
		{"WinHTTP bypass", "", "", "", &proxyurl.WinHTTP{Flags: 3, Proxy: "win.corp:3128", Bypass: "*.test"}, nil,
			[]string{"proxy=direct", "proxy_source=WinHTTP", "bypass list names collector.test"}},
		{"WinHTTP unreadable", "", "", "", nil, fmt.Errorf("13 bytes: cut short: %w", proxyurl.ErrWinHTTP),
			[]string{"level=WARN", "proxy=direct", "proxy_source=none", "problem=", "cut short"}},
		{"WinHTTP proxy no URL", "", "", "", &proxyurl.WinHTTP{Flags: 3, Proxy: "https=:3128"}, nil,
			[]string{"level=WARN", "proxy=direct", "no host"}},
		{"HTTPS_PROXY over WinHTTP", "", "http://env.corp:8080", "", &proxyurl.WinHTTP{Flags: 3, Proxy: "win.corp:3128"}, nil,
			[]string{"proxy=env.corp:8080", "proxy_source=HTTPS_PROXY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HTTPS_PROXY", tt.env)
			t.Setenv("https_proxy", "")
			t.Setenv("NO_PROXY", tt.noProxy)
			t.Setenv("no_proxy", "")
			if tt.win != nil {
				withWinHTTP(t, *tt.win, true)
			} else {
				withWinHTTPErr(t, proxyurl.WinHTTP{}, false, tt.winErr)
			}
			var logs syncbuf.Buffer
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

// TestUploadThroughWinHTTPProxy: without sync.proxy and HTTPS_PROXY the
// counter uploads through the machine's WinHTTP proxy (a real CONNECT
// proxy), and straight to a collector its bypass list names, or when the
// setting is direct access. Before, the WinHTTP proxy was not read: a
// counter running as a Windows service behind a proxy set with netsh
// could not upload.
func TestUploadThroughWinHTTPProxy(t *testing.T) {
	tests := []struct {
		name          string
		flags         uint32
		list, bypass  string
		wantTunnel    bool
		wantProxyHost bool
	}{
		{"proxy for every scheme", 3, "{proxy}", "<local>;10.*", true, true},
		{"https= entry", 3, "http=127.0.0.1:1;https={proxy}", "", true, true},
		{"bypass list names the collector", 3, "{proxy}", "*.test", false, false},
		{"direct access", 1, "{proxy}", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pki := hubtest.NewPKI(t)
			col, srv := tlsCollector(t, pki)
			p := newConnectProxy(t, "", "", map[string]string{"collector.test": "127.0.0.1"})
			host := strings.TrimPrefix(p.srv.URL, "http://")
			t.Setenv("HTTPS_PROXY", "")
			t.Setenv("https_proxy", "")
			t.Setenv("NO_PROXY", "")
			withWinHTTP(t, proxyurl.WinHTTP{Version: 0x18, Flags: tt.flags, Proxy: strings.ReplaceAll(tt.list, "{proxy}", host), Bypass: tt.bypass}, true)
			url := "https://collector.test:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1340, day0)
			c := mtlsClient(t, pki, url, "")
			if got := c.Proxy(); (got.Host == host) != tt.wantProxyHost || got.Source != ProxyFromWinHTTP && tt.flags == 3 {
				t.Errorf("Proxy() = %+v (%s), want host %s: %v, source WinHTTP", got, got, host, tt.wantProxyHost)
			}
			u := NewUploader(db, c, UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			if _, _, err := u.Once(context.Background(), true); err != nil {
				t.Fatalf("Once: %v", err)
			}
			if n := p.tunnels.Load(); (n > 0) != tt.wantTunnel {
				t.Fatalf("%d tunnels through the WinHTTP proxy, want a tunnel: %v", n, tt.wantTunnel)
			}
			if pending(t, db) != 0 || stats(t, col.store).Records != 1 {
				t.Fatalf("%d pending, collector holds %d, want 0 and 1", pending(t, db), stats(t, col.store).Records)
			}
		})
	}
}
