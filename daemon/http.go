package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/config"
	"markd/internal/cli"
	"markd/internal/connlimit"
	"markd/internal/secretfile"
	"markd/mark"
)

// HTTPServer is the service of the daemon's HTTP API and pages. It owns its
// listener (opened by Listen, so the address is known and a taken port is
// reported before the daemon starts) and its Shutdown.
type HTTPServer struct {
	srv      *http.Server
	ln       net.Listener // nil after a Serve: the next one listens again
	addr     string
	certFile string
	keyFile  string
	grace    time.Duration
	// maxConns is http.max_conns_per_addr (0: no cap), refused counts
	// and log logs the connections it closes at accept.
	maxConns int
	refused  prometheus.Counter
	log      *slog.Logger
}

// CheckListen refuses a non-loopback address without TLS.
func CheckListen(h config.HTTPConfig) (tls bool, err error) {
	tls = h.TLSCert != "" && h.TLSKey != ""
	host, _, err := net.SplitHostPort(h.Listen)
	if err != nil {
		// config.Validate refuses this first; the same error if it ever gets here
		return false, cli.UsageError{Err: &config.KeyError{Key: "http.listen", Value: h.Listen,
			Why: "must be host:port, such as 127.0.0.1:8080"}}
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && !tls {
		// a *config.KeyError: markd run names where the value was set
		return false, cli.UsageError{Err: &config.KeyError{Key: "http.listen", Value: h.Listen,
			Why: "not a loopback address: set http.tls_cert and http.tls_key to serve it over TLS"}}
	}
	return tls, nil
}

// idleTimeout bounds how long a kept-alive connection waits for its next
// request (a variable for the test).
var idleTimeout = 2 * time.Minute

// headerTimeout bounds the arrival of a request's headers (a variable for
// the test): a client sending them a line at a time (slowloris) is cut.
var headerTimeout = 10 * time.Second

// bodyTimeout bounds the arrival of a request's body (a variable for the
// test): a list of 16 MB takes seconds on a counter's network.
var bodyTimeout = time.Minute

// withBodyDeadline gives the body of a request bodyTimeout to arrive.
// ReadHeaderTimeout bounds only the headers: a client that announced a
// body and sent it a byte at a time (or not at all) held its connection
// and handler for ever, even when refused without a login (the server
// reads a refused request's small body before it answers). Requests
// without a body get no deadline: on a live stream it would end the
// stream. Once the body is read to its end the deadline is lifted, so a
// long handler (a list imported, a receipt made) keeps its context.
func withBodyDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(bodyTimeout)) == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline of its connection at its end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// Listen opens the listener of h and returns the server of handler on it.
// grace bounds the wait for open requests at shutdown.
// refused counts the connections closed at accept by
// http.max_conns_per_addr (nil: not counted).
func Listen(h config.HTTPConfig, handler http.Handler, grace time.Duration, log *slog.Logger, refused prometheus.Counter) (*HTTPServer, error) {
	useTLS, err := CheckListen(h)
	if err != nil {
		return nil, err
	}
	if useTLS {
		if err := secretfile.Check(h.TLSKey, "config http.tls_key"); err != nil {
			return nil, cli.UsageError{Err: err}
		}
		if _, err := tls.LoadX509KeyPair(h.TLSCert, h.TLSKey); err != nil {
			return nil, cli.UsageError{Err: fmt.Errorf("config http.tls_cert = %q, http.tls_key = %q: %w", h.TLSCert, h.TLSKey, err)}
		}
	}
	ln, err := listen(h.Listen)
	if err != nil {
		return nil, err
	}
	if refused == nil {
		refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_connections_refused_total", Help: "not registered"})
	}
	s := &HTTPServer{ln: ln, addr: ln.Addr().String(), grace: grace, maxConns: h.MaxConnsPerAddr, refused: refused, log: log,
		srv: &http.Server{
			Handler:           withBodyDeadline(handler),
			ReadHeaderTimeout: headerTimeout,
			// A kept-alive connection waiting for its next request is
			// closed after this; without it (no ReadTimeout either: it
			// would end the live streams) such a connection stayed open for
			// ever, and a client on the network could hold as many as the
			// daemon has file descriptors after one /healthz each.
			IdleTimeout: idleTimeout,
			ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}}
	if useTLS {
		s.certFile, s.keyFile = h.TLSCert, h.TLSKey
	}
	return s, nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, mark.WithHint(fmt.Errorf("listen on %s: %w: %w", addr, mark.ErrUnavailable, err),
			"another program uses the port, or the address is not on this machine")
	}
	return ln, nil
}

// Addr is the address the server listens on (the port chosen for :0).
func (s *HTTPServer) Addr() string { return s.addr }

// URL is the base URL of the server.
func (s *HTTPServer) URL() string {
	if s.TLS() {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

// TLS reports whether the server serves HTTPS.
func (s *HTTPServer) TLS() bool { return s.certFile != "" }

// Serve serves until ctx ends, then ends the requests in flight (their
// contexts end with ctx, which closes the live streams) and shuts down
// within the grace period. After a failure the next Serve listens again on
// the same address.
func (s *HTTPServer) Serve(ctx context.Context) error {
	ln := s.ln
	s.ln = nil
	if ln == nil {
		var err error
		if ln, err = listen(s.addr); err != nil {
			return err
		}
	}
	// The cap acts at accept, before the TLS handshake (the costly part
	// of a flood of connections) and before any login or token is seen.
	ln = connlimit.Wrap(ln, s.maxConns, connlimit.Options{Log: s.log, Refused: s.refused, Key: "http.max_conns_per_addr",
		Hint: "on loopback every local program (the browser, the cash-desk program, monitoring) shares 127.0.0.1: raise http.max_conns_per_addr if they need more"})
	s.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	errc := make(chan error, 1)
	go func() {
		if s.TLS() {
			errc <- s.srv.ServeTLS(ln, s.certFile, s.keyFile)
		} else {
			errc <- s.srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.grace)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// Close closes the listener when Serve never ran.
func (s *HTTPServer) Close() error {
	if s.ln != nil {
		err := s.ln.Close()
		s.ln = nil
		return err
	}
	return nil
}

// PageHosts are the host names the pages answer to: http.hosts and the
// host of http.listen when it is a name (IP addresses and localhost are
// always allowed).
func PageHosts(h config.HTTPConfig) []string {
	hosts := append([]string(nil), h.Hosts...)
	if host, _, err := net.SplitHostPort(h.Listen); err == nil && host != "" && net.ParseIP(host) == nil {
		hosts = append(hosts, host)
	}
	return hosts
}
