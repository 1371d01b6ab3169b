package sync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"markd/internal/proxyurl"
	"markd/mark"
)

// ProxyNone is the sync.proxy that sends straight to the collector,
// whatever HTTPS_PROXY says.
const ProxyNone = proxyurl.None

// ProxyError is a failure of the forward proxy between the counter and the
// collector (sync.proxy or HTTPS_PROXY): the proxy refused the tunnel
// (CONNECT answered 403, 407, 502...) or could not be reached. Host is
// the proxy's host:port, never its user or password. A 407 (the proxy
// wants other credentials) is mark.ErrUnauthorized and a 403 (its policy
// refuses the collector) mark.ErrForbidden: waiting does not mend them;
// anything else is mark.ErrUnavailable.
//
// Dropped is a proxy that answered CONNECT and then closed the tunnel
// before any byte of the collector's answer came through it (the proxy's
// limits, its TLS inspection refusing the collector): mark.ErrUnavailable.
// A collector that closes every connection at once, before its TLS
// answer, looks the same through a tunnel; one that answered anything
// is the collector's failure, not the proxy's.
type ProxyError struct {
	Host      string
	Collector string // host:port the tunnel was asked for
	Code      int    // the proxy's answer to CONNECT; 0 = no answer (down, unreachable), or Dropped
	Dropped   bool   // the tunnel was open and closed before the collector answered
	Err       error
}

func (e *ProxyError) Error() string {
	if e.Dropped {
		return fmt.Sprintf("proxy %s closed the tunnel to collector %s before any byte of the collector's answer: %v", e.Host, e.Collector, e.Err)
	}
	if e.Code != 0 {
		return fmt.Sprintf("proxy %s refused the tunnel to collector %s: %d %s", e.Host, e.Collector, e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("proxy %s: not reachable: %v", e.Host, e.Err)
}

// Unwrap maps the proxy's answer to the sentinels of mark and keeps the cause.
func (e *ProxyError) Unwrap() []error {
	s := mark.ErrUnavailable
	switch e.Code {
	case http.StatusProxyAuthRequired:
		s = mark.ErrUnauthorized
	case http.StatusForbidden:
		s = mark.ErrForbidden
	}
	if e.Err == nil {
		return []error{s}
	}
	return []error{s, e.Err}
}

// hint is what to do about e, for the log and /healthz.
func (e *ProxyError) hint() string {
	if e.Dropped {
		return "the proxy " + e.Host + " let the tunnel to the collector " + e.Collector + " open and then closed it before the collector answered: " +
			"look in the proxy's log for CONNECT " + e.Collector + " (a connection limit, TLS inspection refusing the collector); " +
			"a collector that closes every connection at once looks the same"
	}
	switch e.Code {
	case http.StatusProxyAuthRequired:
		return "the proxy " + e.Host + " wants credentials: put user:password in sync.proxy (http://user:password@" + e.Host + ") or HTTPS_PROXY, or ask its administrator"
	case http.StatusForbidden:
		return "the proxy " + e.Host + " does not let this counter reach the collector: ask its administrator to allow CONNECT to " + e.Collector
	case 0:
		return "the proxy " + e.Host + " (sync.proxy, else HTTPS_PROXY) is down or its address is wrong; sync.proxy: none sends straight to the collector"
	}
	return "the proxy " + e.Host + " could not open the tunnel to the collector " + e.Collector + "; check sync.url and the proxy"
}

// ParseProxy checks a sync.proxy value: "" (the environment), ProxyNone,
// or an http:// or https:// URL with a host and at most user:password,
// no path. The error never repeats a password.
func ParseProxy(s string) (*url.URL, error) {
	if why := proxyurl.Why(s); why != "" {
		return nil, fmt.Errorf("sync proxy %s: %s: %w", RedactProxy(s), why, mark.ErrInvalid)
	}
	if s == "" || s == ProxyNone {
		return nil, nil
	}
	return url.Parse(s)
}

// RedactProxy is a proxy URL fit for a log or an error: its password
// replaced by xxxxx; when it is no URL with a user (ivan:pw@host, a bad
// character), everything up to its last @ is.
func RedactProxy(s string) string { return proxyurl.Redact(s) }

// proxyRoute is the way to the collector through a forward proxy: the
// Proxy and DialContext of the collector's transport.
type proxyRoute struct {
	proxies gosync.Map  // host:port dialed -> *url.URL of the proxy as configured
	tls     *tls.Config // of an https proxy: the system's roots and sync.ca, no client certificate
	timeout time.Duration
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

// proxy is the Proxy of the transport for sync.proxy: a fixed URL, none
// (nil), or, for "", the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY,
// read once here, not once per process as http.ProxyFromEnvironment does;
// a collector on loopback is reached directly; a plain-http collector,
// loopback only, never goes through a proxy). Each proxy it gives is
// remembered by the address dialed, so a failed dial to it is named the
// proxy's. An https proxy is given to the transport as http on the same
// port, and DialContext speaks TLS with it: the transport would check
// the proxy's certificate against sync.ca and offer it the client
// certificate (it has one TLS config).
func (r *proxyRoute) proxy(s string) (func(*http.Request) (*url.URL, error), error) {
	if s == ProxyNone {
		return nil, nil
	}
	pick, _, err := proxyPick(s)
	if err != nil {
		return nil, err
	}
	return func(req *http.Request) (*url.URL, error) {
		if req.URL.Scheme != "https" {
			// a plain-http collector (loopback only) would give the
			// proxy the token and the records to read; and the proxy's
			// loopback is not the counter's
			return nil, nil
		}
		u, err := pick(req.URL)
		if err != nil {
			// not err: httpproxy quotes the variable, password and all
			return nil, fmt.Errorf("proxy from the environment: HTTPS_PROXY or HTTP_PROXY is not a proxy URL: %w", mark.ErrInvalid)
		}
		if u == nil {
			return nil, nil
		}
		addr := proxyAddr(u)
		r.proxies.Store(addr, u)
		if u.Scheme == "https" {
			plain := *u
			plain.Scheme, plain.Host = "http", addr
			return &plain, nil
		}
		return u, nil
	}, nil
}

// Where the proxy of the collector was set (ProxyChoice.Source).
const (
	ProxyFromConfig  = "sync.proxy"
	ProxyFromEnv     = "HTTPS_PROXY"
	ProxyFromWinHTTP = "WinHTTP" // the machine's WinHTTP proxy (netsh winhttp set proxy), Windows only
)

// systemProxy reads the machine's proxy setting: the WinHTTP proxy on
// Windows, none elsewhere.
var systemProxy = proxyurl.SystemWinHTTP

// proxyPick is how the proxy of a request to the collector is picked for
// sync.proxy s (not ProxyNone): the URL of s; for "" HTTPS_PROXY and
// NO_PROXY (read now), and when HTTPS_PROXY is unset the machine's
// WinHTTP proxy with its bypass list (Windows: what a service running as
// LocalSystem is set to use). choice has the Source and, when the
// machine's setting could not be read (the upload then goes direct), the
// Problem.
func proxyPick(s string) (pick func(*url.URL) (*url.URL, error), choice ProxyChoice, err error) {
	if s != "" {
		u, err := ParseProxy(s)
		if err != nil {
			return nil, choice, err
		}
		return func(*url.URL) (*url.URL, error) { return u, nil }, ProxyChoice{Source: ProxyFromConfig}, nil
	}
	env := httpproxy.FromEnvironment()
	if env.HTTPSProxy != "" {
		return env.ProxyFunc(), ProxyChoice{Source: ProxyFromEnv}, nil
	}
	direct := func(*url.URL) (*url.URL, error) { return nil, nil }
	w, ok, err := systemProxy()
	if err != nil {
		return direct, ProxyChoice{Problem: err.Error() + "; the upload goes direct"}, nil
	}
	if !ok {
		return direct, choice, nil
	}
	p, err := w.HTTPSProxy()
	if err != nil {
		return direct, ProxyChoice{Problem: err.Error() + "; the upload goes direct"}, nil
	}
	if p == "" {
		return direct, choice, nil // direct access, or proxies for other schemes only
	}
	u, err := url.Parse(p)
	if err != nil { // proxyurl.Why held it
		return nil, choice, fmt.Errorf("WinHTTP proxy %s: %w: %w", RedactProxy(p), mark.ErrInvalid, err)
	}
	return func(c *url.URL) (*url.URL, error) {
		if loopback(c.Hostname()) || w.Bypassed(c.Hostname(), cmpPort(c)) {
			return nil, nil
		}
		return u, nil
	}, ProxyChoice{Source: ProxyFromWinHTTP}, nil
}

// loopback says whether host is this machine (never reached through a proxy).
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cmpPort is u's port, 443 for an https URL without one.
func cmpPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// ProxyChoice is the way uploads take to the collector: through which
// forward proxy, and which setting chose it.
type ProxyChoice struct {
	Host    string // host:port of the proxy; "" = straight to the collector
	Source  string // ProxyFromConfig, ProxyFromEnv, ProxyFromWinHTTP; "" = nothing set
	Direct  string // with a proxy set and Host "": why the collector is reached directly
	Problem string // a machine proxy setting that could not be read (the upload goes direct)
}

// Label is the proxy for a log: its host:port, "none" (sync.proxy: none)
// or "direct".
func (p ProxyChoice) Label() string {
	switch {
	case p.Host != "":
		return p.Host
	case p.Source == ProxyFromConfig:
		return ProxyNone
	}
	return "direct"
}

// String is the proxy and where it was set, for people (markd doctor).
func (p ProxyChoice) String() string {
	switch {
	case p.Host != "":
		return p.Host + " (from " + p.Source + ")"
	case p.Source == ProxyFromConfig:
		return "none (sync.proxy: none): straight to the collector"
	case p.Direct != "":
		return "direct (" + p.Direct + ")"
	case p.Problem != "":
		return "direct (" + p.Problem + ")"
	}
	return "direct (" + noProxySet + ")"
}

// ResolveProxy is the way to the collector at collectorURL for sync.proxy
// s, as NewClient sets it up now (HTTPS_PROXY, NO_PROXY and the machine's
// setting read now). The error is a sync.proxy or HTTPS_PROXY that is no
// proxy URL.
func ResolveProxy(s, collectorURL string) (ProxyChoice, error) {
	if s == ProxyNone {
		return ProxyChoice{Source: ProxyFromConfig}, nil
	}
	pick, choice, err := proxyPick(s)
	if err != nil {
		return choice, err
	}
	u, err := url.Parse(strings.TrimRight(collectorURL, "/"))
	if err != nil || u.Host == "" {
		return choice, fmt.Errorf("sync url %q: not an http(s) URL: %w", collectorURL, mark.ErrInvalid)
	}
	if u.Scheme != "https" {
		if choice.Source != "" {
			choice.Direct = "a plain-http collector, on loopback only, is never reached through a proxy"
		}
		return choice, nil
	}
	p, err := pick(u)
	if err != nil {
		return choice, fmt.Errorf("proxy from the environment: HTTPS_PROXY is not a proxy URL: %w", mark.ErrInvalid)
	}
	if p != nil {
		choice.Host = proxyAddr(p)
		return choice, nil
	}
	switch {
	case choice.Source == "":
	case loopback(u.Hostname()):
		choice.Direct = "the collector is on loopback"
	case choice.Source == ProxyFromEnv:
		choice.Direct = "NO_PROXY names " + u.Hostname()
	case choice.Source == ProxyFromWinHTTP:
		choice.Direct = "the WinHTTP proxy's bypass list names " + u.Hostname()
	}
	return choice, nil
}

// DialContext dials addr; a failure to dial a proxy is named the
// proxy's, and with an https proxy it speaks TLS.
func (r *proxyRoute) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := r.dial(ctx, network, addr)
	v, ok := r.proxies.Load(addr)
	if !ok {
		return conn, err
	}
	u := v.(*url.URL)
	if err != nil {
		return nil, &ProxyError{Host: u.Host, Err: err}
	}
	note, _ := ctx.Value(tunnelKey{}).(*tunnelNote)
	if u.Scheme != "https" {
		return note.watch(conn, u.Host), nil
	}
	tc := r.tls.Clone()
	tc.ServerName = u.Hostname()
	tconn := tls.Client(conn, tc)
	hctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := tconn.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, &ProxyError{Host: u.Host, Err: fmt.Errorf("TLS with the proxy (its certificate is checked against the system's CAs and sync.ca): %w", err)}
	}
	return note.watch(tconn, u.Host), nil
}

// tunnelKey is the context key of a request's *tunnelNote.
type tunnelKey struct{}

// tunnelNote is what a request's connection through a proxy saw of its
// tunnel: whether the tunnel opened (the proxy answered CONNECT and the
// client spoke into it: TLS speaks first) and whether any byte of the
// collector's answer came back through it. It tells a proxy that drops
// an open tunnel from the collector's outage.
type tunnelNote struct {
	mu       gosync.Mutex
	proxy    string // host:port of the proxy; "" = the connection was not through one
	read     bool   // the proxy's answer to CONNECT began
	open     bool   // the client wrote after it: the tunnel is open
	answered bool   // a byte came back through the open tunnel
}

// watch notes conn, dialed to proxy, in n (nil: a request of no
// doHeader, nothing noted).
func (n *tunnelNote) watch(conn net.Conn, proxy string) net.Conn {
	if n == nil {
		return conn
	}
	n.mu.Lock()
	n.proxy, n.read, n.open, n.answered = proxy, false, false, false
	n.mu.Unlock()
	return &tunnelConn{Conn: conn, note: n}
}

// dropped is err as the proxy's *ProxyError when the request's
// connection went through a proxy whose tunnel opened and ended before
// any byte of the collector's answer; nil otherwise.
func (n *tunnelNote) dropped(collector string, err error) *ProxyError {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proxy == "" || !n.open || n.answered {
		return nil
	}
	return &ProxyError{Host: n.proxy, Collector: collector, Dropped: true, Err: err}
}

// tunnelConn is a connection to a proxy that notes its tunnel's bytes.
type tunnelConn struct {
	net.Conn
	note *tunnelNote
}

func (c *tunnelConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.note.mu.Lock()
		if c.note.open {
			c.note.answered = true
		} else {
			c.note.read = true
		}
		c.note.mu.Unlock()
	}
	return n, err
}

func (c *tunnelConn) Write(p []byte) (int, error) {
	c.note.mu.Lock()
	if c.note.read {
		c.note.open = true
	}
	c.note.mu.Unlock()
	return c.Conn.Write(p)
}

// proxyAddr is the host:port the transport dials for proxy u.
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "socks5": "1080"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// proxyConnect makes a proxy's refusal of CONNECT a *ProxyError (the
// transport's own error is the bare status text).
func proxyConnect(_ context.Context, proxy *url.URL, req *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &ProxyError{Host: proxy.Host, Collector: req.URL.Host, Code: resp.StatusCode}
}

// proxyFailure is err's *ProxyError with its hint, or nil.
func proxyFailure(err error) error {
	var pe *ProxyError
	if !errors.As(err, &pe) {
		return nil
	}
	return mark.WithHint(pe, pe.hint())
}
