package hub

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultMaxConnsPerAddr caps the connections one remote address holds
// open to the collector at once (max_conns_per_addr). A counter holds
// one or two (its pump overlaps two uploads; a browser of the regional
// pages six): 64 is far above both, and still bounds what one host can
// hold open with slow or idle connections. Keyed on the address, not on
// the terminal: the cap acts at accept, before the TLS handshake (the
// costly part of a flood of connections) and before any credential is
// seen, and terminals with tokens have no certificate to key on. Behind
// a proxy or load balancer every connection comes from its address: set
// 0 (off) there and cap at the proxy.
const DefaultMaxConnsPerAddr = 64

// LimitConns caps the connections of ln open at once per remote IP
// address at max: a connection past it is closed at accept (the client
// sees it reset or closed before any answer), counted in
// markhub_connections_refused_total and logged at most once a minute.
// max <= 0: ln as it is.
func (s *Server) LimitConns(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &connLimit{Listener: ln, max: max, open: map[string]int{}, log: s.log, refused: s.connsRefused}
}

type connLimit struct {
	net.Listener
	max     int
	log     *slog.Logger
	refused prometheus.Counter

	mu       sync.Mutex
	open     map[string]int
	lastLog  time.Time
	unlogged int // refusals since the last log line
}

func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := remoteHost(c.RemoteAddr())
		l.mu.Lock()
		if l.open[host] >= l.max {
			l.unlogged++
			var n int
			if now := time.Now(); now.Sub(l.lastLog) >= time.Minute {
				n, l.unlogged, l.lastLog = l.unlogged, 0, now
			}
			l.mu.Unlock()
			// counted before the close: the client sees the close and
			// may read the counter at once (TestLimitConns)
			l.refused.Inc()
			c.Close()
			if n > 0 {
				l.log.Warn("connections refused: the address holds max_conns_per_addr open", "remote", host,
					"max_conns_per_addr", l.max, "refused_since_last_line", n,
					"hint", "behind a proxy or load balancer every client has its address: set max_conns_per_addr: 0 there")
			}
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, host: host}, nil
	}
}

func (l *connLimit) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// remoteHost is the IP of addr without the port (the whole address when
// it has none).
func remoteHost(addr net.Addr) string {
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}

// limitedConn gives its place back when closed (once, however often
// Close is called).
type limitedConn struct {
	net.Conn
	l    *connLimit
	host string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}
