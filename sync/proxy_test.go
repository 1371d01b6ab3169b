package sync

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"markd/internal/syncbuf"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/mark"
)

// connectProxy is a forward proxy as a corporate network has one: it
// answers CONNECT only, opens a tunnel to the host asked for (resolving
// the names of hosts itself, as the counter need not) and counts them.
type connectProxy struct {
	srv      *httptest.Server
	tunnels  atomic.Int32
	requests atomic.Int32 // every request, CONNECT or not
	refuse   atomic.Int32 // the answer to CONNECT instead of a tunnel; 0 = tunnel
	// drop: after answering CONNECT 200, read this many bytes of the
	// client's (-1: none) and close the tunnel, the collector never dialed
	drop  atomic.Int32
	auth  string // the Proxy-Authorization it wants; "" = none
	hosts map[string]string
}

func newConnectProxy(t *testing.T, user, password string, hosts map[string]string) *connectProxy {
	t.Helper()
	return newConnectProxyTLS(t, user, password, hosts, nil)
}

// newConnectProxyTLS is newConnectProxy that speaks TLS (an https://
// proxy) with cert, when not nil.
func newConnectProxyTLS(t *testing.T, user, password string, hosts map[string]string, cert *tls.Certificate) *connectProxy {
	t.Helper()
	p := &connectProxy{hosts: hosts}
	if user != "" {
		p.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		if p.auth != "" && r.Header.Get("Proxy-Authorization") != p.auth {
			w.Header().Set("Proxy-Authenticate", `Basic realm="corp"`)
			http.Error(w, "<html><title>Access denied</title></html>", http.StatusProxyAuthRequired)
			return
		}
		if code := p.refuse.Load(); code != 0 {
			http.Error(w, "policy", int(code))
			return
		}
		if n := p.drop.Load(); n != 0 {
			conn, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			p.tunnels.Add(1)
			conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")) //nolint:errcheck // closed below
			if n > 0 {
				io.ReadFull(brw, make([]byte, n)) //nolint:errcheck // what the client sent first
			}
			conn.Close()
			return
		}
		host, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if a, ok := p.hosts[host]; ok {
			host = a
		}
		up, err := net.Dial("tcp", net.JoinHostPort(host, port))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		p.tunnels.Add(1)
		if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			conn.Close()
			up.Close()
			return
		}
		go func() { io.Copy(up, brw); up.Close() }() //nolint:errcheck // tunnel
		io.Copy(conn, up)                            //nolint:errcheck // tunnel
		conn.Close()
	}))
	if cert != nil {
		p.srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(p.srv.Close)
	return p
}

// url is the proxy's URL with user and password.
func (p *connectProxy) url(user, password string) string {
	if user == "" {
		return p.srv.URL
	}
	scheme, host, _ := strings.Cut(p.srv.URL, "://")
	return scheme + "://" + user + ":" + password + "@" + host
}

// tlsCollector is a collector on https with a private CA that takes the
// client certificates of its terminals, its certificate for 127.0.0.1
// and collector.test.
func tlsCollector(t *testing.T, pki *hubtest.PKI) (*collector, *httptest.Server) {
	t.Helper()
	col := newCollector(t, "office-a")
	cfg := pki.ServerTLS(t)
	certFile, keyFile := pki.Issue(t, "collector.test", true)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	srv := httptest.NewUnstartedServer(col.api.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return col, srv
}

// mtlsClient is a client of terminal office-a with its certificate and
// the private CA, through proxy ("" = the environment).
func mtlsClient(t *testing.T, pki *hubtest.PKI, url, proxy string) *Client {
	t.Helper()
	cert, key := pki.Issue(t, "office-a", false)
	c, err := NewClient(ClientOptions{URL: url, ClientCert: cert, ClientKey: key, CA: pki.CAFile, Proxy: proxy, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// collector.test is 127.0.0.1 for the counter too (as /etc/hosts
	// would say), for the requests that do not go through the proxy.
	tr := c.http.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, port, err := net.SplitHostPort(addr); err == nil && h == "collector.test" {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return dial(ctx, network, addr)
	}
	return c
}

// TestUploadThroughProxy: a counter that reaches the collector only
// through a forward proxy (sync.proxy, with user and password) uploads
// through its CONNECT tunnel, with its client certificate and the private
// CA of sync.ca, and fetches bundles and used serials the same way; the
// proxy of sync.proxy wins over HTTPS_PROXY. Before, the transport had no
// Proxy: nothing went through the proxy.
func TestUploadThroughProxy(t *testing.T) {
	pki := hubtest.NewPKI(t)
	col, srv := tlsCollector(t, pki)
	p := newConnectProxy(t, "ivan", "s3cret", nil)
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1") // nothing listens: it must not be used
	t.Setenv("NO_PROXY", "")
	ctx := context.Background()

	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 1300, day0)
	addScan(t, db, "1", 426000, mark.Accept, 1301, day0.Add(time.Second))
	u := NewUploader(db, mtlsClient(t, pki, srv.URL, p.url("ivan", "s3cret")), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := u.Drain(dctx); err != nil {
		t.Fatalf("Drain through the proxy: %v", err)
	}
	if n := p.tunnels.Load(); n == 0 {
		t.Fatal("no tunnel through the proxy: the upload went around it")
	}
	if n := pending(t, db); n != 0 {
		t.Fatalf("%d records pending, want 0", n)
	}
	if st := stats(t, col.store); st.Records != 2 {
		t.Fatalf("collector holds %d records, want 2", st.Records)
	}
	// bundle polling and history restore use the same client: each new
	// client opens its own tunnel
	before := p.tunnels.Load()
	if _, err := mtlsClient(t, pki, srv.URL, p.url("ivan", "s3cret")).Bundle(ctx, 0); err != nil {
		t.Fatalf("Bundle through the proxy: %v", err)
	}
	if _, err := mtlsClient(t, pki, srv.URL, p.url("ivan", "s3cret")).Serials(ctx, 0); err != nil {
		t.Fatalf("Serials through the proxy: %v", err)
	}
	if got := p.tunnels.Load() - before; got != 2 {
		t.Fatalf("%d tunnels for a bundle poll and a serials page, want 2", got)
	}
}

// TestProxyFromEnvironment: without sync.proxy the counter takes
// HTTPS_PROXY of its environment, NO_PROXY names a collector reached
// directly, and sync.proxy: none goes straight whatever the environment
// says.
func TestProxyFromEnvironment(t *testing.T) {
	tests := []struct {
		name, noProxy, proxy string
		tunnel               bool
	}{
		{"HTTPS_PROXY", "", "", true},
		{"NO_PROXY names the collector", "collector.test", "", false},
		{"NO_PROXY names its domain", ".test", "", false},
		{"NO_PROXY names another", "other.example", "", true},
		{"sync.proxy none", "", ProxyNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pki := hubtest.NewPKI(t)
			col, srv := tlsCollector(t, pki)
			p := newConnectProxy(t, "", "", map[string]string{"collector.test": "127.0.0.1"})
			t.Setenv("HTTPS_PROXY", p.srv.URL)
			t.Setenv("NO_PROXY", tt.noProxy)
			url := "https://collector.test:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1310, day0)
			u := NewUploader(db, mtlsClient(t, pki, url, tt.proxy), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			if _, _, err := u.Once(context.Background(), true); err != nil {
				t.Fatalf("Once: %v", err)
			}
			if n := p.tunnels.Load(); (n > 0) != tt.tunnel {
				t.Fatalf("%d tunnels through the proxy, want a tunnel: %v", n, tt.tunnel)
			}
			if pending(t, db) != 0 || stats(t, col.store).Records != 1 {
				t.Fatalf("%d pending, collector holds %d, want 0 and 1", pending(t, db), stats(t, col.store).Records)
			}
		})
	}
}

// TestProxyRefuses: a proxy that refuses the tunnel (407: other
// credentials, 403: its policy) or is down is named as the proxy, with its
// host and never its password, in the error, its hint, the log and
// /healthz's sync part (failing_reason proxy), not as the collector; the
// records stay pending. Before, a 407 was "collector 127.0.0.1:…:
// unavailable: Proxy Authentication Required".
func TestProxyRefuses(t *testing.T) {
	tests := []struct {
		name     string
		password string // the counter's; the proxy wants s3cret
		refuse   int
		down     bool
		sentinel error
		want     string
	}{
		{"wrong password", "wr0ng-pass", 0, false, mark.ErrUnauthorized, "407"},
		{"policy refuses", "s3cret", http.StatusForbidden, false, mark.ErrForbidden, "403"},
		{"cannot reach the collector", "s3cret", http.StatusBadGateway, false, mark.ErrUnavailable, "502"},
		{"proxy down", "s3cret", 0, true, mark.ErrUnavailable, "not reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pki := hubtest.NewPKI(t)
			_, srv := tlsCollector(t, pki)
			p := newConnectProxy(t, "ivan", "s3cret", nil)
			p.refuse.Store(int32(tt.refuse))
			proxyURL := p.url("ivan", tt.password)
			host := strings.TrimPrefix(p.srv.URL, "http://")
			if tt.down {
				p.srv.Close()
			}
			var logs syncbuf.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1320, day0)
			u := NewUploader(db, mtlsClient(t, pki, srv.URL, proxyURL), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, log, nil)
			ctx := context.Background()
			_, _, err := u.Once(ctx, true)
			var pe *ProxyError
			if !errors.As(err, &pe) || !errors.Is(err, tt.sentinel) {
				t.Fatalf("Once: %v, want the proxy's error, %v", err, tt.sentinel)
			}
			u.failedAttempt(ctx, err)
			st := u.Status(ctx)
			for _, s := range []string{err.Error(), mark.Hint(err), logs.String(), st.LastError, st.LastHint, u.Health().Name, u.Health().Detail} {
				if strings.Contains(s, tt.password) {
					t.Fatalf("the proxy's password in %q", s)
				}
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "proxy "+host) || !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q: want it to begin with proxy %s and name %s", msg, host, tt.want)
			}
			if st.FailingReason != "proxy" || st.LastHint == "" || !strings.Contains(st.LastHint, host) ||
				!strings.Contains(st.LastError, "proxy "+host) {
				t.Fatalf("status %+v: want failing_reason proxy, a hint naming %s", st, host)
			}
			if !strings.Contains(logs.String(), "proxy "+host) {
				t.Fatalf("log %q does not name the proxy", logs.String())
			}
			if n := pending(t, db); n != 1 {
				t.Fatalf("%d pending, want 1", n)
			}
		})
	}
}

// TestProxyOption: a sync.proxy the transport cannot use is refused by
// NewClient without its password.
func TestProxyOption(t *testing.T) {
	for _, p := range []string{"socks5://ivan:s3cret@proxy.example:1080", "http://ivan:s3cret@proxy.example/path", "ivan:s3cret@proxy.example"} {
		_, err := NewClient(ClientOptions{URL: "https://hub.example", Token: "t", Proxy: p})
		if !errors.Is(err, mark.ErrInvalid) || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("NewClient(proxy %q): %v, want ErrInvalid without the password", p, err)
		}
	}
}

// TestHTTPSProxy: an https:// proxy is spoken to in TLS, its certificate
// checked against the system's CAs and sync.ca, and the collector reached
// through the tunnel inside; a proxy certificate the counter does not
// trust is the proxy's error, not "the collector's certificate is not
// trusted". Before, the transport checked the proxy with the collector's
// TLS config.
func TestHTTPSProxy(t *testing.T) {
	pki := hubtest.NewPKI(t)
	other := hubtest.NewPKI(t)
	tests := []struct {
		name string
		cert *tls.Certificate
		ok   bool
	}{
		{"proxy certificate of sync.ca", loadCert(t, pki.ServCert, pki.ServKey), true},
		{"proxy certificate of another CA", loadCert(t, other.ServCert, other.ServKey), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col, srv := tlsCollector(t, pki)
			p := newConnectProxyTLS(t, "ivan", "s3cret", nil, tt.cert)
			db := openCounter(t)
			addScan(t, db, "1", 426000, mark.Accept, 1330, day0)
			u := NewUploader(db, mtlsClient(t, pki, srv.URL, p.url("ivan", "s3cret")), UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
			_, _, err := u.Once(context.Background(), true)
			if tt.ok {
				if err != nil || p.tunnels.Load() == 0 || stats(t, col.store).Records != 1 {
					t.Fatalf("Once: %v, %d tunnels, collector holds %d, want 1 tunnel and 1 record", err, p.tunnels.Load(), stats(t, col.store).Records)
				}
				return
			}
			var pe *ProxyError
			var ue *UntrustedCollectorError
			host := strings.TrimPrefix(p.srv.URL, "https://")
			if !errors.As(err, &pe) || errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "proxy "+host) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("Once: %v, want the proxy's error naming %s", err, host)
			}
			if r := failReason(err); r != "proxy" || pending(t, db) != 1 {
				t.Fatalf("reason %q, %d pending, want proxy and 1", r, pending(t, db))
			}
		})
	}
}

// TestPlainHTTPCollectorNotProxied: a collector on plain http (allowed on
// loopback only) is not reached through sync.proxy: the proxy would read
// the bearer token and the records, and its loopback is not the
// counter's.
func TestPlainHTTPCollectorNotProxied(t *testing.T) {
	col := newCollector(t, "office-a")
	p := newConnectProxy(t, "", "", nil)
	c, err := NewClient(ClientOptions{URL: col.srv.URL, Token: "tok-office-a", Proxy: p.srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 1340, day0)
	u := NewUploader(db, c, UploaderOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}, quiet, nil)
	if _, _, err := u.Once(context.Background(), true); err != nil {
		t.Fatalf("Once: %v", err)
	}
	if n := p.requests.Load(); n != 0 || stats(t, col.store).Records != 1 {
		t.Fatalf("%d requests to the proxy, collector holds %d, want 0 and 1", n, stats(t, col.store).Records)
	}
}
